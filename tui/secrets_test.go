package tui

import (
	"context"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/streams"
	"github.com/streamops/streamops/themes"
)

// TestCredentialsNeverShown runs the demo's streams backend as `streamops
// demo` does, with the credentials of its Secret: once good, once wrong
// (the Secret rotated to a password the Controller does not know, so that
// the refusal is logged and drawn). It looks for either password, and the
// basic authentication header made of it, in the console's screen, the log
// file and the triage report (ctrl+s).
func TestCredentialsNeverShown(t *testing.T) {
	snap, fc, p := demoPlatform(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eps, err := p.Endpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	typed := p.Clients().Typed
	sec, err := typed.CoreV1().Secrets(demo.StoreNamespace).Get(ctx, demo.RESTSecret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	good, wrong := string(sec.Data["password"]), "wrong-password-7c2e91"
	logPath := filepath.Join(t.TempDir(), "streamops.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}))
	km := keymap.Default()

	// run is one console session on the streams pane until ok, then ctrl+s.
	run := func(ok func(restapi.PravegaSection) bool) (screen, report string) {
		t.Helper()
		ctx, stop := context.WithCancel(ctx)
		mon := restapi.NewMonitor(restapi.Config{Overrides: eps, Credentials: p.CredentialSources(), Secrets: typed, Clock: fc, Log: log})
		done := make(chan error)
		go func() { done <- mon.Run(ctx) }()
		defer func() { stop(); <-done }()
		m := newConsole(t, fc, themes.Dark, Backends{Streams: mon})
		m.opts.ReportDir = t.TempDir()
		m = drive(m, tea.WindowSizeMsg{Width: 160, Height: 48}, snapshotMsg{snap}, keymap.Press(km.Global.Streams), runCmd{})
		deadline := time.After(10 * time.Second)
	wait:
		for {
			select {
			case r := <-mon.Reports():
				m = drive(m, streams.ReportMsg{Report: r})
				if len(r.Pravega) == 1 && !r.Pravega[0].Reading && ok(r.Pravega[0]) {
					break wait
				}
			case <-deadline:
				t.Fatal("no such report")
			}
		}
		screen = m.render()
		m = drive(m, keymap.Press(km.Global.Snapshot), runCmd{})
		files, _ := os.ReadDir(m.opts.ReportDir)
		if len(files) != 1 {
			t.Fatalf("%d triage reports", len(files))
		}
		b, _ := os.ReadFile(filepath.Join(m.opts.ReportDir, files[0].Name()))
		return screen, string(b)
	}

	screen1, report1 := run(func(s restapi.PravegaSection) bool { return s.Inventory != nil })
	if v := ansi.Strip(screen1); !strings.Contains(v, "basic auth from Secret pravega/streamops-rest") || !strings.Contains(v, "sensor-readings") {
		t.Errorf("the demo does not read its Controller with the Secret's credentials:\n%s", v)
	}
	sec.Data["password"] = []byte(wrong)
	if _, err := typed.CoreV1().Secrets(demo.StoreNamespace).Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	screen2, report2 := run(func(s restapi.PravegaSection) bool { return s.Err != nil })
	const refused = "authentication required (401): basic auth from Secret pravega/streamops-rest not accepted"
	if !strings.Contains(ansi.Strip(screen2), refused) || !strings.Contains(report2, refused) {
		t.Errorf("the refusal is not shown:\n%s\n%s", ansi.Strip(screen2), report2)
	}
	logged, _ := os.ReadFile(logPath)
	if !strings.Contains(string(logged), "not accepted") {
		t.Errorf("the refusal is not logged:\n%s", logged)
	}
	texts := map[string]string{"screen": screen1 + screen2, "log file": string(logged), "triage report": report1 + report2}
	for _, secret := range []string{good, wrong,
		base64.StdEncoding.EncodeToString([]byte(demo.RESTUser + ":" + good)), base64.StdEncoding.EncodeToString([]byte(demo.RESTUser + ":" + wrong))} {
		for what, text := range texts {
			if strings.Contains(text, secret) {
				t.Errorf("a secret in the %s: %q", what, secret)
			}
		}
	}
}
