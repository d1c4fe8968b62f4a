package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"github.com/charmbracelet/colorprofile"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/config"
	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/gcpace"
	"github.com/streamops/streamops/backend/guard"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/object"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/session"
	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/themes"
	"github.com/streamops/streamops/tui"
)

type uiOptions struct {
	readOnly   bool
	theme      string
	logFile    string
	configPath string
	endpoints  []string
	pprof      string
	creds      []string // --pravega-credentials-secret

	cfg  config.Config
	keys keymap.KeyMap
	// readOnlySwitch is the backend's read-only state, made once by load
	// from --readonly and the configuration file; :readonly sets the same
	// switch, and it stays on across context switches.
	readOnlySwitch *guard.Switch
	// reader: the session is for a command that only reads (no audit
	// log, no scale engine)
	reader bool
}

func (o *uiOptions) addFlags(c *cobra.Command) {
	f := c.PersistentFlags()
	f.BoolVar(&o.readOnly, "readonly", false, "never change the cluster: actions that write are refused")
	f.StringVar(&o.theme, "theme", "dark", "colour theme: dark, light or none (NO_COLOR also selects none)")
	f.StringVar(&o.logFile, "log-file", "", "where details are logged (default: the state directory's streamops.log)")
	f.StringVar(&o.configPath, "config", config.DefaultPath(), "configuration file")
	f.StringArrayVar(&o.creds, "pravega-credentials-secret", nil, "read Pravega Controller REST credentials from a Secret (keys username and password, or token): NAMESPACE/SECRET for the PravegaClusters of NAMESPACE, or NAMESPACE/CLUSTER=SECRET (repeatable); they are sent only to a --rest-endpoint URL")
	f.StringArrayVar(&o.endpoints, "rest-endpoint", nil, "reach a REST API by direct URL instead of the service proxy: API:NAMESPACE/NAME=URL (repeatable), e.g. flink:team-a/orders=http://localhost:8081")
	f.StringVar(&o.pprof, "pprof", "", "serve Go's profiler on this loopback HOST:PORT, to diagnose the console itself (e.g. its heap over a long session)")
}

// load reads the configuration file and merges the flags over it: a flag
// the user gave wins over the file.
func (o *uiOptions) load(cmd *cobra.Command) error {
	cfg, err := config.Load(o.configPath, cmd.Flags().Changed("config"))
	if err != nil {
		return err
	}
	if cmd.Flags().Changed("theme") {
		cfg.Theme = o.theme
	}
	cfg.ReadOnly = cfg.ReadOnly || o.readOnly
	keys := keymap.Default()
	if err := keys.Rebind(cfg.Keys); err != nil {
		return fmt.Errorf("config %s: %w", o.configPath, err)
	}
	o.cfg, o.keys = cfg, keys
	o.readOnlySwitch = guard.New(cfg.ReadOnly)
	return nil
}

type demoOptions struct {
	seed     uint64
	speed    float64
	calm     bool
	scenario string
}

// openLog sends our logs and client-go's klog output to a file: nothing may
// write to the terminal while the console runs.
func openLog(path string) (*slog.Logger, func(), error) {
	if path == "" {
		path = filepath.Join(config.StateDir(), "streamops.log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("log file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("log file: %w", err)
	}
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(f)
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})), func() { klog.Flush(); f.Close() }, nil
}

// overrides are the REST endpoints given a direct URL, from the
// configuration file and the --rest-endpoint flags.
func (o uiOptions) overrides() ([]restapi.Override, error) {
	var out []restapi.Override
	for _, e := range append(append([]string(nil), o.cfg.Endpoints...), o.endpoints...) {
		ov, err := restapi.ParseOverride(e)
		if err != nil {
			return nil, err
		}
		out = append(out, ov)
	}
	return out, nil
}

// credentialSources say which credentials go to which Pravega
// Controllers: the --pravega-credentials-secret flags first, then the
// configuration file's pravega.credentials. Password and token files are
// read here.
func (o uiOptions) credentialSources() ([]restapi.CredentialSource, error) {
	var out []restapi.CredentialSource
	for _, f := range o.creds {
		src, err := restapi.ParseCredentialSecret(f)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	for i, pc := range o.cfg.Pravega.Credentials {
		src := restapi.CredentialSource{Namespace: pc.Namespace, Cluster: pc.Cluster}
		from := fmt.Sprintf("config pravega.credentials[%d]", i)
		read := func(value config.Secret, file string) (string, error) {
			if file == "" {
				return value.Value(), nil
			}
			b, err := os.ReadFile(expandHome(file))
			if err != nil {
				return "", fmt.Errorf("%s: %w", from, err)
			}
			from = file
			return strings.TrimSpace(string(b)), nil
		}
		switch {
		case pc.Secret != "":
			src.SecretNamespace, src.SecretName = pc.Namespace, pc.Secret
		case pc.Username != "":
			pw, err := read(pc.Password, pc.PasswordFile)
			if err != nil {
				return nil, err
			}
			src.Static = restapi.BasicAuth(pc.Username, pw, from)
		default:
			tok, err := read(pc.Token, pc.TokenFile)
			if err != nil {
				return nil, err
			}
			src.Static = restapi.BearerToken(tok, from)
		}
		out = append(out, src)
	}
	return out, nil
}

func expandHome(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return path
}

// styles resolves the theme, before anything connects or starts. A
// terminal without colours (or NO_COLOR) gets the no-colour theme, whose
// selection and emphasis do not depend on colour.
func (o uiOptions) styles() (themes.Styles, error) {
	p, ok := themes.FromEnv(o.cfg.Theme)
	if !ok {
		return themes.Styles{}, fmt.Errorf("unknown theme %q (dark, light or none)", o.cfg.Theme)
	}
	switch colorprofile.Detect(os.Stdout, os.Environ()) {
	case colorprofile.ASCII, colorprofile.NoTTY:
		p = themes.Mono
	}
	return themes.New(p), nil
}

// runCluster runs the console on the kubeconfig's cluster, and again on
// another context each time the user switches from the palette.
func runCluster(ctx context.Context, kopts *kube.Options, ui uiOptions) error {
	styles, err := ui.styles()
	if err != nil {
		return err
	}
	log, closeLog, err := openLog(ui.logFile)
	if err != nil {
		return err
	}
	defer closeLog()
	for {
		err := runContext(ctx, kopts, ui, styles, log)
		var sw *contextSwitch
		if !errors.As(err, &sw) {
			return err
		}
		kopts = kopts.WithContext(sw.name)
		log.Info("switching context", "context", sw.name)
	}
}

// contextSwitch ends a console that the user moved to another context.
type contextSwitch struct{ name string }

func (c *contextSwitch) Error() string { return "switch to context " + c.name }

// contexts lets the palette check another context before switching.
type contexts struct{ kopts *kube.Options }

func (c contexts) Contexts() []string {
	raw, err := c.kopts.Loader().RawConfig()
	if err != nil {
		return nil
	}
	var out []string
	for name := range raw.Contexts {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Check builds the configuration the switch would connect with
// (kube.Options.WithContext) and asks its server.
func (c contexts) Check(ctx context.Context, name string) error {
	cfg, err := c.kopts.WithContext(name).Loader().ClientConfig()
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	clients, err := kube.NewClients(cfg)
	if err != nil {
		return err
	}
	return clients.Check(ctx, checkTimeout(c.kopts))
}

func checkTimeout(kopts *kube.Options) time.Duration {
	if d := kopts.Timeout(); d > 0 {
		return d
	}
	return 10 * time.Second
}

func runContext(ctx context.Context, kopts *kube.Options, ui uiOptions, styles themes.Styles, log *slog.Logger) error {
	cfg, err := clusterConfig(ctx, kopts, ui)
	if err != nil {
		return err
	}
	return runConsole(ctx, ui, styles, log, cfg, contexts{kopts})
}

// clusterConfig connects to the kubeconfig's cluster, checks that it
// answers, and returns the session's configuration for it: what the
// console and the non-interactive commands run on.
func clusterConfig(ctx context.Context, kopts *kube.Options, ui uiOptions) (session.Config, error) {
	clients, scope, err := kopts.Connect()
	if err != nil {
		return session.Config{}, err
	}
	if err := clients.Check(ctx, checkTimeout(kopts)); err != nil {
		return session.Config{}, err
	}
	overrides, err := ui.overrides()
	if err != nil {
		return session.Config{}, err
	}
	creds, err := ui.credentialSources()
	if err != nil {
		return session.Config{}, err
	}
	return session.Config{
		Clients: clients, Scope: scope,
		Streams: restapi.Config{ServiceProxy: clients.Typed, Overrides: overrides, Credentials: creds, Secrets: clients.Typed,
			Interval: ui.cfg.Refresh.Streams.Duration},
		StepTimeout: ui.cfg.Scale.StepTimeout.Duration,
		AuditPath:   ui.auditPath("audit.jsonl"),
	}, nil
}

func runDemo(ctx context.Context, o demoOptions, ui uiOptions) error {
	styles, err := ui.styles()
	if err != nil {
		return err
	}
	log, closeLog, err := openLog(ui.logFile)
	if err != nil {
		return err
	}
	defer closeLog()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, cfg, start, err := demoConfig(ctx, o, ui, log)
	if err != nil {
		return err
	}
	return runConsole(ctx, ui, styles, log, cfg, nil, start)
}

// demoConfig makes the demo platform (with its scenario, under ctx) and
// returns it, the session's configuration for it, and what starts its
// simulator once the session runs.
func demoConfig(ctx context.Context, o demoOptions, ui uiOptions, log *slog.Logger) (*demo.Platform, session.Config, func(*session.Session), error) {
	if !(o.speed > 0 && o.speed <= demo.MaxSpeed) {
		return nil, session.Config{}, nil, fmt.Errorf("--speed %g: want a factor above 0 and at most %d", o.speed, demo.MaxSpeed)
	}
	p := demo.New(demo.Options{Seed: o.seed, Speed: o.speed, Faults: !o.calm})
	if o.scenario != "" {
		if err := p.Scenario(ctx, o.scenario); err != nil {
			return nil, session.Config{}, nil, fmt.Errorf("demo scenario: %w", err)
		}
	}
	// The demo serves the Pravega and Flink REST APIs in process, on
	// loopback; they are reached by direct URL (there is no API server).
	// Its Controller requires credentials, read from the demo's Secret as
	// a real run would read them (after the user's own, which come first).
	endpoints, err := p.Endpoints(ctx)
	if err != nil {
		return nil, session.Config{}, nil, fmt.Errorf("demo REST servers: %w", err)
	}
	creds, err := ui.credentialSources()
	if err != nil {
		return nil, session.Config{}, nil, err
	}
	// A demo step that cannot converge (the stuck-member scenario) should
	// time out while someone watches, not after the real default.
	stepTimeout := ui.cfg.Scale.StepTimeout.Duration
	if stepTimeout == config.Defaults().Scale.StepTimeout.Duration {
		stepTimeout = 45 * time.Second
	}
	cfg := session.Config{
		Clients: p.Clients(), Scope: p.Scope(),
		Streams: restapi.Config{Overrides: endpoints, Credentials: append(creds, p.CredentialSources()...), Secrets: p.Clients().Typed,
			Interval: ui.cfg.Refresh.Streams.Duration},
		Logs: p.LogSource(), StepTimeout: stepTimeout,
		// The demo's metrics-server and kubelets are in process too.
		Usage: usage.Config{Metrics: p.Metrics(), Summaries: p.Summaries()},
		// Panics in the simulator's steps come out of p.Errors().
		Errors:    p.Errors(),
		AuditPath: ui.auditPath("audit-demo.jsonl"),
	}
	start := func(s *session.Session) {
		// One in its loop is caught by the session.
		s.Go("the demo platform", func(ctx context.Context) {
			if err := p.Run(ctx); err != nil {
				log.Error("demo platform stopped", "err", err)
			}
		})
	}
	return p, cfg, start, nil
}

// auditPath is the audit log's path: the configuration file's, or name
// in the state directory ("" when that cannot be found: the session then
// refuses to start, saying so).
func (o uiOptions) auditPath(name string) string {
	if o.cfg.Audit.Path != "" {
		return o.cfg.Audit.Path
	}
	p, err := audit.DefaultPath(name)
	if err != nil {
		return ""
	}
	return p
}

// startSession starts the session of cfg with the options the console
// and the commands share (the read-only switch, the log buffer's size,
// the log), then runs each of also on it.
func startSession(ctx context.Context, ui uiOptions, log *slog.Logger, cfg session.Config, also ...func(*session.Session)) (*session.Session, error) {
	cfg.ReadOnly, cfg.LogLimit, cfg.Log, cfg.Reader = ui.readOnlySwitch, ui.cfg.Logs.BufferLines, log, ui.reader
	s, err := session.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	for _, f := range also {
		f(s)
	}
	return s, nil
}

// runConsole starts the session (backend/session: the watcher and every
// service) and the console on it, and returns when the user quits.
// Quitting cancels ctx, which stops every watch. Each also runs once the
// session started (the demo starts its simulator under it).
func runConsole(ctx context.Context, ui uiOptions, styles themes.Styles, log *slog.Logger, cfg session.Config,
	ctxs tui.ContextChecker, also ...func(*session.Session)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if ui.pprof != "" {
		if err := servePprof(ctx, ui.pprof, log); err != nil {
			return err
		}
	}
	s, err := startSession(ctx, ui, log, cfg, also...)
	if err != nil {
		return err
	}
	defer s.Close()
	if gcpace.Enabled() {
		go (&gcpace.Governor{Log: log}).Run(ctx, s.Watcher.WaitForSync)
	}
	model := tui.New(tui.Options{
		Styles: styles, Keys: ui.keys, ReadOnly: s.ReadOnly, Mouse: ui.cfg.Mouse,
		Snapshots: s.Watcher.Subscribe(ctx), Errors: s.Errors(),
		Context: s.Clients.Context, Server: s.Clients.Server, Scope: s.Scope.String(),
		CrashDir: config.StateDir(), ReportDir: config.StateDir(),
		Ctx: ctx,
		Backends: tui.Backends{Access: s.Reviewer, Members: s.Members, Scope: s.Watcher, Streams: s.Streams, Scale: s.Scale, Logs: s.Logs, Objects: object.NewReader(s.Clients),
			Contexts: ctxs, Usage: s.Usage},
	})
	final, err := tea.NewProgram(model, tea.WithContext(ctx), tea.WithFPS(tui.FPS)).Run()
	if m, ok := final.(tui.Model); ok && m.Crash() != nil {
		return &exitError{code: 2, err: m.Crash()}
	}
	if m, ok := final.(tui.Model); ok && m.NextContext() != "" && err == nil {
		return &contextSwitch{m.NextContext()}
	}
	switch {
	case err == nil, errors.Is(err, tea.ErrInterrupted), errors.Is(err, context.Canceled):
		return nil
	case errors.Is(err, tea.ErrProgramPanic):
		return &exitError{code: 2, err: errors.New("internal error: the console panicked; the terminal was restored")}
	case errors.Is(err, tea.ErrProgramKilled):
		return nil
	}
	return fmt.Errorf("console: %w", err)
}
