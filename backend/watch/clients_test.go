package watch_test

import (
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/streamops/streamops/backend/kube"
)

func clientsOf(typed *fake.Clientset, dyn dynamic.Interface) *kube.Clients {
	return &kube.Clients{Typed: typed, Dynamic: dyn, Discovery: typed.Discovery(), Context: "test"}
}
