package restapi_test

import (
	"testing"
	"time"

	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/pravega"
)

func TestScalingText(t *testing.T) {
	cases := []struct {
		in         *pravega.Scaling
		short, out string
	}{
		{nil, "-", "no scaling policy reported"},
		{&pravega.Scaling{Type: pravega.FixedSegments, MinSegments: 3}, "fixed 3", "fixed at 3 segments"},
		{&pravega.Scaling{Type: pravega.ByEventRate, TargetRate: 1000, ScaleFactor: 2, MinSegments: 4}, "1000 ev/s ×2 min 4", "by event rate: a segment splits in 2 above 1000 events/s, at least 4 segments"},
		{&pravega.Scaling{Type: pravega.ByByteRate, TargetRate: 512, ScaleFactor: 3, MinSegments: 1}, "512 KiB/s ×3 min 1", "by byte rate: a segment splits in 3 above 512 KiB/s, at least 1 segments"},
		{&pravega.Scaling{Raw: "BY_MOOD", MinSegments: 2}, "BY_MOOD min 2", "BY_MOOD min 2"},
		{&pravega.Scaling{MinSegments: 2}, "min 2", "min 2"},
	}
	for _, tc := range cases {
		if got := restapi.ScalingText(tc.in); got != tc.short {
			t.Errorf("restapi.ScalingText(%+v) = %q, want %q", tc.in, got, tc.short)
		}
		if got := restapi.ScalingLong(tc.in); got != tc.out {
			t.Errorf("restapi.ScalingLong(%+v) = %q, want %q", tc.in, got, tc.out)
		}
	}
}

func TestRetentionText(t *testing.T) {
	day := 24 * time.Hour
	cases := []struct {
		in   *pravega.Retention
		want string
	}{
		{nil, "none"},
		{&pravega.Retention{Type: pravega.ByTime, Time: 7 * day}, "7d"},
		{&pravega.Retention{Type: pravega.ByTime, Time: 36 * time.Hour}, "36h"},
		{&pravega.Retention{Type: pravega.ByTime, Time: 90 * time.Minute}, "90m"},
		{&pravega.Retention{Type: pravega.ByTime, Time: 2*day + 12*time.Hour}, "2d12h"},
		{&pravega.Retention{Type: pravega.ByTime, Time: 7 * day, MaxTime: 30 * day}, "7d–30d"},
		{&pravega.Retention{Type: pravega.BySize, Value: 10240}, "10 GiB"},
		{&pravega.Retention{Type: pravega.BySize, Value: 1536, MaxValue: 4096}, "1.5 GiB–4 GiB"},
		{&pravega.Retention{Type: pravega.BySize, Value: 100}, "100 MiB"},
		{&pravega.Retention{Raw: "LIMITED_EVENTS", Value: 5}, "LIMITED_EVENTS 5"},
	}
	for _, tc := range cases {
		if got := restapi.RetentionText(tc.in); got != tc.want {
			t.Errorf("restapi.RetentionText(%+v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTextNumbers(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{restapi.Size(512), "512 B"},
		{restapi.Size(4 << 20), "4 MiB"},
		{restapi.Size(26<<20 + 300<<10), "26.3 MiB"},
		{restapi.Size(310 << 20), "310 MiB"},
		{restapi.Size(3 << 40), "3 TiB"},
		{restapi.Duration(400 * time.Millisecond), "0.4s"},
		{restapi.Duration(12 * time.Second), "12s"},
		{restapi.Duration(6*time.Minute + 8*time.Second), "6m08s"},
		{restapi.Duration(2*time.Hour + 5*time.Minute), "2h05m"},
		{restapi.Duration(200 * time.Hour), "8d"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestWatermarkText(t *testing.T) {
	cases := []struct {
		w    flink.Watermark
		want string
	}{
		{flink.Watermark{}, "-"},
		{flink.Watermark{Read: true, Subtasks: 2, Millis: t0.Add(-90 * time.Second).UnixMilli()}, "08:58:30"},
		{flink.Watermark{Read: true, Subtasks: 6, Missing: 6}, "none yet"},
		{flink.Watermark{Read: true, Subtasks: 6, Missing: 2, Millis: 1}, "none yet (4/6)"},
		{flink.Watermark{Read: true}, "no subtasks"},
	}
	for _, tc := range cases {
		if got := restapi.WatermarkText(tc.w, time.UTC); got != tc.want {
			t.Errorf("restapi.WatermarkText(%+v) = %q, want %q", tc.w, got, tc.want)
		}
	}
}

func TestScaleEventChange(t *testing.T) {
	for _, tc := range []struct {
		e    pravega.ScaleEvent
		want string
	}{
		{pravega.ScaleEvent{Segments: 3}, "created"},
		{pravega.ScaleEvent{Segments: 5, Splits: 2}, "split, +2"},
		{pravega.ScaleEvent{Segments: 4, Merges: 1}, "merge, −1"},
	} {
		if got := tc.e.Change(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.e, got, tc.want)
		}
	}
}

func TestTaskManagerText(t *testing.T) {
	tm := flink.TaskManager{ID: "x", Path: "pekko.tcp://flink@10.42.0.7:6122/user/rpc/taskmanager_0", HeapUsed: 1946 << 20, HeapMax: 2 << 30,
		DirectUsed: 60 << 20, Direct: 128 << 20, Managed: 512 << 20, Heartbeat: t0.Add(-3 * time.Second),
		GC: []flink.GC{{Name: "young", Count: 40, Time: 800 * time.Millisecond}, {Name: "old", Count: 2, Time: 300 * time.Millisecond}}}
	if got, want := restapi.TaskManagerText(&tm, t0), "10.42.0.7:6122 · heap 1.9 GiB of 2 GiB (95%) · direct 60 MiB of 128 MiB · managed 512 MiB · GC 42× 1s · heartbeat 3s ago"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := restapi.TaskManagerText(&flink.TaskManager{ID: "tm-1"}, t0); got != "tm-1" {
		t.Errorf("nothing known: %q", got)
	}
}
