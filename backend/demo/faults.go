package demo

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// Troubles are what an on-call engineer meets in the demo's restarts and
// logs panes, each with the Warning events a kubelet or scheduler emits:
//
//   - bookkeeper-bookie-1 was OOMKilled three times (exit 137) and runs again;
//   - pravega-pravega-segment-store-2 crashed once with exit code 1 after a
//     BookKeeper quorum loss;
//   - fraud-scoring-taskmanager-1-2 was killed by its liveness probe
//     (exit 143, SIGTERM);
//   - pravega-tier2-sync keeps crashing (a Go panic, exit 2) in
//     CrashLoopBackOff, its back-off doubling as a kubelet's does;
//   - sensor-replay cannot pull its image (ImagePullBackOff);
//   - fraud-rules-loader's init container lacks a secret
//     (CreateContainerConfigError);
//   - a fraud-scoring backfill job pod does not fit any node
//     (FailedScheduling).
//
// With Options.Faults they start once the platform has converged; Troubles
// starts them at once.
type troubleState struct {
	on    bool // Troubles was called
	setUp bool
	loops []*crashLoop
}

// crashLoop plays a container that starts, runs a few seconds and crashes,
// with a back-off that doubles from 10s to 5 minutes.
type crashLoop struct {
	ns, pod, container string
	reason             string
	exit               int32
	running            bool
	next               time.Time
	backoff            time.Duration
}

// Names of the troubled workloads.
const (
	Tier2SyncName    = "pravega-tier2-sync"
	SensorReplayName = "sensor-replay"
	RulesLoaderName  = "fraud-rules-loader"
	BackfillJobName  = "fraud-scoring-backfill-29110560"
)

// held is how far away a simulated kubelet keeps the pods the troubles play
// themselves: it never starts them nor marks them ready.
const held = 100 * 365 * 24 * time.Hour

// Troubles puts the platform in trouble now (see troubleState).
func (p *Platform) Troubles(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sim.trouble.on = true
	return p.sim.troubles(ctx, p.clock.Now())
}

// troubles is the simulator's hook: it sets the troubles up once, then
// plays the crash loops.
func (s *simulator) troubles(ctx context.Context, now time.Time) error {
	t := &s.trouble
	if !t.on && !(s.p.opts.Faults && s.converged) {
		return nil
	}
	if !t.setUp {
		if err := s.setUpTroubles(ctx, now); err != nil {
			return fmt.Errorf("demo troubles: %w", err)
		}
		t.setUp = true
	}
	for _, l := range t.loops {
		if now.Before(l.next) {
			continue
		}
		if err := s.stepLoop(ctx, l, now); err != nil {
			return fmt.Errorf("demo crash loop %s: %w", l.pod, err)
		}
	}
	return nil
}

func (s *simulator) setUpTroubles(ctx context.Context, now time.Time) error {
	// restarts of the platform's own members
	type restart struct {
		ns, pod           string
		count             int32
		reason            string
		exit, signal      int32
		ago, ran          time.Duration
		event, msg        string
		events            int32
		eventSpan         time.Duration
		eventSource       string
		eventFieldPathAll bool
	}
	restarts := []restart{
		{StoreNamespace, BookkeeperName + "-bookie-1", 3, "OOMKilled", 137, 0, 4 * time.Minute, 37 * time.Minute,
			"BackOff", "Back-off restarting failed container bookie in pod " + BookkeeperName + "-bookie-1_pravega(%s)", 3, 50 * time.Minute, "kubelet", false},
		{StoreNamespace, PravegaName + "-pravega-segment-store-2", 1, "Error", 1, 0, 18 * time.Minute, 3 * time.Minute,
			"BackOff", "Back-off restarting failed container pravega-segmentstore in pod " + PravegaName + "-pravega-segment-store-2_pravega(%s)", 2, time.Minute, "kubelet", false},
		{ProjectFraud, FraudJobName + "-taskmanager-1-2", 1, "Error", 143, 15, 11 * time.Minute, 52 * time.Minute,
			"Unhealthy", "Liveness probe failed: Get \"http://%s:8081/\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)", 3, 30 * time.Second, "kubelet", false},
	}
	for _, r := range restarts {
		p, err := s.p.typed.CoreV1().Pods(r.ns).Get(ctx, r.pod, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue // scaled away
		}
		if err != nil {
			return err
		}
		if len(p.Status.ContainerStatuses) == 0 {
			continue
		}
		cs := &p.Status.ContainerStatuses[0]
		born := p.CreationTimestamp.Time
		finished := laterOf(now.Add(-r.ago), born.Add(2*time.Second))
		started := laterOf(finished.Add(-r.ran), born)
		cs.RestartCount += r.count
		cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: r.reason, ExitCode: r.exit, Signal: r.signal, StartedAt: metav1.NewTime(started), FinishedAt: metav1.NewTime(finished),
			ContainerID: cs.ContainerID,
		}}
		cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(laterOf(finished.Add(20*time.Second), finished))}}
		if _, err := s.p.typed.CoreV1().Pods(r.ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("restart %s: %w", r.pod, err)
		}
		msg := r.msg
		if r.event == "BackOff" {
			msg = fmt.Sprintf(r.msg, p.UID)
		} else {
			msg = fmt.Sprintf(r.msg, p.Status.PodIP)
		}
		first := laterOf(finished.Add(-r.eventSpan), born)
		if err := s.warn(ctx, p, "spec.containers{"+cs.Name+"}", r.event, msg, r.events, first, finished, r.eventSource); err != nil {
			return err
		}
	}

	// pravega-tier2-sync: crash-looping Go sidecar service
	sync, err := s.troublePod(ctx, StoreNamespace, Tier2SyncName, "Deployment", "6d5f8b7c9", "q8v2m", "worker-3",
		nil, []corev1.Container{{Name: "sync", Image: "registry.example.com/pravega/tier2-sync:0.4.1", Resources: requests("100m", "128Mi")}},
		corev1.PodRunning, now.Add(-2*time.Hour))
	if err != nil {
		return err
	}
	if sync != nil {
		cs := &sync.Status.ContainerStatuses[0]
		cs.RestartCount = 7
		cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: "Error", ExitCode: 2, StartedAt: metav1.NewTime(now.Add(-2*time.Minute - 4*time.Second)), FinishedAt: metav1.NewTime(now.Add(-2 * time.Minute)),
		}}
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
			Message: "back-off 2m40s restarting failed container=sync pod=" + sync.Name + "_pravega(" + string(sync.UID) + ")"}}
		if _, err := s.p.typed.CoreV1().Pods(StoreNamespace).UpdateStatus(ctx, sync, metav1.UpdateOptions{}); err != nil {
			return err
		}
		if err := s.warn(ctx, sync, "spec.containers{sync}", "BackOff",
			"Back-off restarting failed container sync in pod "+sync.Name+"_pravega("+string(sync.UID)+")", 31, now.Add(-110*time.Minute), now.Add(-40*time.Second), "kubelet"); err != nil {
			return err
		}
		s.trouble.loops = append(s.trouble.loops, &crashLoop{ns: StoreNamespace, pod: sync.Name, container: "sync", reason: "Error", exit: 2,
			next: now.Add(40 * time.Second), backoff: 160 * time.Second})
	}

	// sensor-replay: image that does not exist
	replay, err := s.troublePod(ctx, ProjectIoT, SensorReplayName, "Deployment", "5c8d7b9f4", "x2x7q", "worker-1",
		nil, []corev1.Container{{Name: "replay", Image: "registry.example.com/iot/sensor-replay:1.4.2", Resources: requests("250m", "256Mi")}},
		corev1.PodPending, now.Add(-26*time.Minute))
	if err != nil {
		return err
	}
	if replay != nil {
		replay.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff",
			Message: "Back-off pulling image \"registry.example.com/iot/sensor-replay:1.4.2\""}}
		if _, err := s.p.typed.CoreV1().Pods(ProjectIoT).UpdateStatus(ctx, replay, metav1.UpdateOptions{}); err != nil {
			return err
		}
		if err := s.warn(ctx, replay, "spec.containers{replay}", "Failed",
			"Failed to pull image \"registry.example.com/iot/sensor-replay:1.4.2\": rpc error: code = NotFound desc = failed to pull and unpack image \"registry.example.com/iot/sensor-replay:1.4.2\": not found",
			4, now.Add(-26*time.Minute), now.Add(-9*time.Minute), "kubelet"); err != nil {
			return err
		}
		if err := s.warn(ctx, replay, "spec.containers{replay}", "BackOff",
			"Back-off pulling image \"registry.example.com/iot/sensor-replay:1.4.2\"", 97, now.Add(-26*time.Minute), now.Add(-15*time.Second), "kubelet"); err != nil {
			return err
		}
	}

	// fraud-rules-loader: init container missing its secret
	loader, err := s.troublePod(ctx, ProjectFraud, RulesLoaderName, "Deployment", "7f6c9d8b5", "m4k9t", "worker-4",
		[]corev1.Container{{Name: "fetch-rules", Image: "registry.example.com/fraud/rules-fetch:2.1.0"}},
		[]corev1.Container{{Name: "loader", Image: "registry.example.com/fraud/rules-loader:2.1.0", Resources: requests("200m", "512Mi")}},
		corev1.PodPending, now.Add(-7*time.Minute))
	if err != nil {
		return err
	}
	if loader != nil {
		loader.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "fetch-rules", Image: "registry.example.com/fraud/rules-fetch:2.1.0",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: "secret \"rules-bucket-credentials\" not found"}}}}
		loader.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}
		if _, err := s.p.typed.CoreV1().Pods(ProjectFraud).UpdateStatus(ctx, loader, metav1.UpdateOptions{}); err != nil {
			return err
		}
		if err := s.warn(ctx, loader, "spec.initContainers{fetch-rules}", "Failed", "Error: secret \"rules-bucket-credentials\" not found",
			9, now.Add(-7*time.Minute), now.Add(-50*time.Second), "kubelet"); err != nil {
			return err
		}
	}

	// the backfill job's pod asks for more CPU than any node has free
	backfill, err := s.troublePod(ctx, ProjectFraud, BackfillJobName, "Job", "", "d7w5n", "",
		nil, []corev1.Container{{Name: "backfill", Image: "flink:1.19", Resources: requests("24", "16Gi")}},
		corev1.PodPending, now.Add(-14*time.Minute))
	if err != nil {
		return err
	}
	if backfill != nil {
		return s.warn(ctx, backfill, "", "FailedScheduling",
			"0/4 nodes are available: 4 Insufficient cpu. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.",
			5, now.Add(-14*time.Minute), now.Add(-2*time.Minute), "default-scheduler")
	}
	return nil
}

func requests(cpu, mem string) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{Requests: corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem),
	}}
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// troublePod creates a pod of an unmanaged workload (a Deployment's
// ReplicaSet, or a Job) that the simulated kubelet leaves alone. It returns
// nil when the pod exists already.
func (s *simulator) troublePod(ctx context.Context, ns, workload, kind, hash, suffix, node string, inits, containers []corev1.Container, phase corev1.PodPhase, created time.Time) (*corev1.Pod, error) {
	name := workload + "-" + suffix
	owner := workload
	labels := map[string]string{"app": workload}
	if kind == "Deployment" {
		name = workload + "-" + hash + "-" + suffix
		owner, kind = workload+"-"+hash, "ReplicaSet"
		labels["pod-template-hash"] = hash
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: workload, Namespace: ns, Labels: map[string]string{"app": workload}},
			Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(int32(1))},
			Status:     appsv1.DeploymentStatus{Replicas: 1, UnavailableReplicas: 1},
		}
		if _, err := s.p.typed.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("create deployment %s: %w", workload, err)
		}
		s.ensureReplicaSet(ctx, ns, workload, owner)
	} else {
		labels["job-name"] = workload
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels, CreationTimestamp: metav1.NewTime(created),
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: kind, Name: owner, UID: types.UID("uid-" + ns + "-" + owner), Controller: ptr.To(true)}}},
		Spec: corev1.PodSpec{NodeName: node, InitContainers: inits, Containers: containers},
		Status: corev1.PodStatus{
			Phase: phase,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(created)},
				{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", LastTransitionTime: metav1.NewTime(created)},
			},
		},
	}
	if node == "" {
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
			Message: "0/4 nodes are available: 4 Insufficient cpu.", LastTransitionTime: metav1.NewTime(created)}}
	} else {
		pod.Status.PodIP = fmt.Sprintf("10.244.%d.%d", fnv(name)%200, fnv(ns+name)%250+2)
		pod.Status.StartTime = ptr.To(metav1.NewTime(created))
	}
	for _, c := range containers {
		if node == "" {
			break // the kubelet has not seen it: no container status yet
		}
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}})
	}
	// the simulated kubelet must leave it to us
	s.pods[ns+"/"+name] = &podSim{created: created.Add(held), readyAt: created.Add(held)}
	out, err := s.p.typed.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("create pod %s: %w", name, err)
	}
	return out, nil
}

// stepLoop moves a crash loop on: a waiting container starts, a running
// one crashes and backs off longer.
func (s *simulator) stepLoop(ctx context.Context, l *crashLoop, now time.Time) error {
	p, err := s.p.typed.CoreV1().Pods(l.ns).Get(ctx, l.pod, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		l.next = now.Add(held)
		return nil
	}
	if err != nil {
		return err
	}
	cs := &p.Status.ContainerStatuses[0]
	if !l.running {
		cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(now)}}
		l.running, l.next = true, now.Add(4*time.Second)
	} else {
		started := now.Add(-4 * time.Second)
		if cs.State.Running != nil {
			started = cs.State.Running.StartedAt.Time
		}
		cs.RestartCount++
		cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: l.reason, ExitCode: l.exit, StartedAt: metav1.NewTime(started), FinishedAt: metav1.NewTime(now)}}
		l.backoff = min(l.backoff*2, 5*time.Minute)
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
			Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", l.backoff, l.container, p.Name, p.Namespace, p.UID)}}
		l.running, l.next = false, now.Add(l.backoff)
		if err := s.warn(ctx, p, "spec.containers{"+l.container+"}", "BackOff",
			"Back-off restarting failed container "+l.container+" in pod "+p.Name+"_"+p.Namespace+"("+string(p.UID)+")", 1, now, now, "kubelet"); err != nil {
			return err
		}
	}
	_, err = s.p.typed.CoreV1().Pods(l.ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	return err
}

// warn records a Warning event with a count, folding into an existing one
// with the same reason and message as the event recorder does.
func (s *simulator) warn(ctx context.Context, p *corev1.Pod, fieldPath, reason, msg string, count int32, first, last time.Time, source string) error {
	name := fmt.Sprintf("%s.%x", p.Name, fnv(reason+msg))
	events := s.p.typed.CoreV1().Events(p.Namespace)
	if cur, err := events.Get(ctx, name, metav1.GetOptions{}); err == nil {
		cur.Count += count
		cur.LastTimestamp = metav1.NewTime(last)
		_, err = events.Update(ctx, cur, metav1.UpdateOptions{})
		return err
	}
	_, err := events.Create(ctx, &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: p.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID,
			FieldPath: fieldPath, APIVersion: "v1"},
		Reason: reason, Message: msg, Type: corev1.EventTypeWarning, Count: count,
		FirstTimestamp: metav1.NewTime(first), LastTimestamp: metav1.NewTime(last),
		Source: corev1.EventSource{Component: source, Host: p.Spec.NodeName},
	}, metav1.CreateOptions{})
	return err
}
