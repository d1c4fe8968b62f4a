package pravega_test

import (
	"context"
	"strings"
	"testing"

	"github.com/streamops/streamops/backend/restapi/fakeapi"
)

// TestHealth reads the Controller's health through the spec-checked fake:
// UP, then a contributor DOWN (named with its details as the cause, not
// the root it drags down), then the health API absent (an older
// Controller answers 404) or malformed: the inventory still reads, with
// the health's error beside it.
func TestHealth(t *testing.T) {
	p := seed()
	c := serve(t, p)
	ctx := context.Background()
	h, err := c.Health(ctx)
	if err != nil || !h.Up() || len(h.Children) != len(fakeapi.HealthContributors) || len(h.Failing()) != 0 {
		t.Fatalf("health %+v, %v", h, err)
	}
	p.SetHealth("cluster-listener", fakeapi.ContributorHealth{Status: "DOWN", Details: map[string]string{"zookeeper": "session expired"}})
	p.SetHealth("retention-service", fakeapi.ContributorHealth{Status: "STARTING"})
	h, err = c.Health(ctx)
	if err != nil || h.Up() || !h.Bad() || h.Status != "DOWN" {
		t.Fatalf("health %+v, %v", h, err)
	}
	got := strings.Join(h.Failing(), "; ")
	if want := "cluster-listener: DOWN (zookeeper session expired); retention-service: STARTING"; got != want {
		t.Errorf("failing %q, want %q", got, want)
	}
	inv, err := c.Inventory(ctx, false)
	if err != nil || inv.Health == nil || inv.Health.Status != "DOWN" || inv.HealthErr != nil {
		t.Fatalf("inventory health %+v, %v (%v)", inv.Health, inv.HealthErr, err)
	}

	for _, tc := range []struct {
		name  string
		fault fakeapi.Fault
		want  string
	}{
		{"absent", fakeapi.Fault{Kind: fakeapi.ServerError, Status: 404}, "404"},
		{"malformed", fakeapi.Fault{Kind: fakeapi.Malformed}, "GET /v1/health: malformed JSON"},
		{"no status", fakeapi.Fault{Kind: fakeapi.MissingField, Field: "status"}, "the health result without status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := seed()
			p.Inject("/v1/health", tc.fault)
			inv, err := serve(t, p).Inventory(ctx, false)
			if err != nil || len(inv.Scopes) == 0 {
				t.Fatalf("the inventory must read without the health: %v", err)
			}
			if inv.Health != nil || inv.HealthErr == nil || !strings.Contains(inv.HealthErr.Error(), tc.want) {
				t.Errorf("health %+v, error %v, want %q", inv.Health, inv.HealthErr, tc.want)
			}
		})
	}
}
