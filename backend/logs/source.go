package logs

import (
	"context"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Target names one container whose log to follow.
type Target struct {
	Namespace, Pod, Container string
}

func (t Target) String() string { return t.Namespace + "/" + t.Pod + "/" + t.Container }

// StreamOptions is what a Source is asked for.
type StreamOptions struct {
	Follow   bool
	Previous bool
	// SinceTime resumes a stream at a kubelet timestamp; SinceSeconds asks
	// for the last seconds on the node's clock (the user's --since, immune
	// to the skew between this machine's clock and the nodes'). Zero: no
	// lower bound.
	SinceTime    time.Time
	SinceSeconds int64
	TailLines    int64 // the last N lines; negative: every line
}

// Source opens log streams. Every line of a stream starts with an RFC3339
// timestamp and a space, as the kubelet writes them with timestamps=true:
// the engine needs them to merge sources, to resume a broken stream from
// where it stopped and to drop the lines it already has.
type Source interface {
	Open(ctx context.Context, t Target, o StreamOptions) (io.ReadCloser, error)
}

// KubeSource streams logs through client-go's pods/log API.
type KubeSource struct {
	Client kubernetes.Interface
}

// Open requests GET pods/log with timestamps always on.
func (k KubeSource) Open(ctx context.Context, t Target, o StreamOptions) (io.ReadCloser, error) {
	po := &corev1.PodLogOptions{Container: t.Container, Follow: o.Follow, Previous: o.Previous, Timestamps: true}
	if !o.SinceTime.IsZero() {
		// The API takes whole seconds: the stream restarts at or before the
		// instant asked for, and the engine drops what it already has.
		st := metav1.NewTime(o.SinceTime)
		po.SinceTime = &st
	} else if o.SinceSeconds > 0 {
		n := o.SinceSeconds
		po.SinceSeconds = &n
	}
	if o.TailLines >= 0 {
		n := o.TailLines
		po.TailLines = &n
	}
	rc, err := k.Client.CoreV1().Pods(t.Namespace).GetLogs(t.Pod, po).Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("logs of %s: %w", t, err)
	}
	return rc, nil
}
