package access

import (
	"slices"
	"testing"

	accessapi "github.com/streamops/streamops/backend/access"
)

func TestMemberRows(t *testing.T) {
	oncall := accessapi.Member{Subject: accessapi.Subject{Kind: accessapi.GroupSubject, Name: "platform-oncall"}, Grants: []accessapi.Grant{
		{RoleKind: "ClusterRole", Role: "view", Binding: "oncall"},
		{Namespace: "iot", RoleKind: "ClusterRole", Role: "edit", Binding: "oncall-edit"},
		{Namespace: "iot", RoleKind: "Role", Role: "edit", Binding: "again"}, // the same role name once
	}}
	masters := accessapi.Member{Subject: accessapi.Subject{Kind: accessapi.GroupSubject, Name: "system:masters"},
		Grants: []accessapi.Grant{{RoleKind: "ClusterRole", Role: "cluster-admin", Binding: "cluster-admin"}}}
	ci := accessapi.Member{Subject: accessapi.Subject{Kind: accessapi.ServiceAccountSubject, Namespace: "iot", Name: "ci"},
		Grants: []accessapi.Grant{{Namespace: "iot", RoleKind: "Role", Role: "deployer", Binding: "ci"}}}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"cluster-wide and namespaced", roleCell(oncall, "iot"), "view*, edit"},
		{"cluster-wide only", roleCell(oncall, "fraud"), "view*"},
		{"nothing", roleCell(ci, "fraud"), "-"},
		{"service account label", subjectLabel(ci.Subject), "sa iot/ci"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	all := []accessapi.Member{oncall, masters, ci}
	names := func(ms []accessapi.Member) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	if got := names(visibleMembers(all, "")); !slices.Equal(got, []string{"platform-oncall", "ci"}) {
		t.Errorf("without a filter: %v (system subjects hidden)", got)
	}
	if got := names(visibleMembers(all, "system")); !slices.Equal(got, []string{"platform-oncall", "system:masters", "ci"}) {
		t.Errorf("filter system: %v", got)
	}
	you := accessapi.User{Name: "oncall@example.com", Groups: []string{"platform-oncall", "system:authenticated"}}
	if !isYou(oncall.Subject, you) || isYou(ci.Subject, you) || isYou(accessapi.Subject{Kind: "Group", Name: "system:authenticated"}, you) {
		t.Error("you: your groups, not system ones, not others")
	}
	if !isYou(ci.Subject, accessapi.User{Name: "system:serviceaccount:iot:ci"}) {
		t.Error("a service account is you when you are it")
	}
	b := bindings(all[:1])
	if len(b) != 3 || b[0].via != "ClusterRoleBinding oncall" || b[1].via != "RoleBinding iot/again" {
		t.Errorf("bindings %+v", b)
	}
}
