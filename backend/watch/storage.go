package watch

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/streamops/streamops/backend/platform"
)

// Claim names the operators give their StatefulSets' volumes
// (contracts/LABELS.md): the zookeeper-operator's template is "data" on
// StatefulSet <name>, the bookkeeper-operator's are "ledger", "journal"
// and "index" on StatefulSet <name>-bookie; a StatefulSet names each claim
// <template>-<statefulset>-<ordinal>.
var ordinalSuffix = regexp.MustCompile(`^(.+)-([0-9]+)$`)

// longTermClaims reads, from every PravegaCluster in the watch cache, the
// fileshare claim its long-term storage names:
// spec.pravega.longtermStorage.filesystem.persistentVolumeClaim.claimName
// in v1beta1, spec.pravega.tier2.filesystem.persistentVolumeClaim.claimName
// in v1alpha1 (contracts/crds/pravega). Malformed values become a reason per cluster.
func (w *Watcher) longTermClaims() (claims map[string]string, invalid map[string]string) {
	claims, invalid = map[string]string{}, map[string]string{}
	for _, cr := range w.crs {
		if cr.res.Kind != "PravegaCluster" {
			continue
		}
		for _, obj := range list(cr.informers) {
			u, ok := obj.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			for _, root := range [][]string{{"spec", "pravega", "longtermStorage"}, {"spec", "pravega", "tier2"}} {
				path := append(slices.Clone(root), "filesystem", "persistentVolumeClaim", "claimName")
				v, found, err := unstructured.NestedFieldNoCopy(u.Object, path...)
				if !found && err == nil {
					continue
				}
				name, isString := v.(string)
				if err != nil || !isString || name == "" {
					invalid[u.GetNamespace()+"/"+u.GetName()] = fmt.Sprintf("invalid %s: %v", strings.Join(path, "."), v)
					continue
				}
				claims[u.GetNamespace()+"/"+name] = u.GetName()
			}
		}
	}
	return claims, invalid
}

// buildClaims converts the PersistentVolumeClaims of the platform's
// namespaces and says which component's data each one holds.
func (w *Watcher) buildClaims(inScope func(ns string) bool, snap *platform.Snapshot) []platform.Claim {
	// StatefulSet name → component, per namespace.
	type owner struct {
		kind    platform.Kind
		cluster string
		roles   []string
	}
	owners := map[string]owner{}
	for _, c := range snap.Components {
		switch c.Kind {
		case platform.ZooKeeper:
			owners[c.Namespace+"/"+c.Cluster] = owner{platform.ZooKeeper, c.Cluster, []string{"data"}}
		case platform.BookKeeper:
			owners[c.Namespace+"/"+c.Cluster+"-bookie"] = owner{platform.BookKeeper, c.Cluster, []string{"ledger", "journal", "index"}}
		}
	}
	lts, ltsInvalid := w.longTermClaims()

	classes := map[string]*storagev1.StorageClass{}
	defaultClass := ""
	for _, obj := range list(w.informers[resStorageClasses]) {
		if sc, ok := obj.(*storagev1.StorageClass); ok {
			classes[sc.Name] = sc
			if sc.Annotations[defaultClassAnnotation] == "true" {
				defaultClass = sc.Name
			}
		}
	}
	classWhy := ""
	for _, st := range snap.Syncs {
		if st.Resource == "storageclasses" && st.Phase != platform.Synced {
			classWhy = "storage classes " + st.Phase.String()
			if st.Reason != "" {
				classWhy += ": " + st.Reason
			}
		}
	}

	var out []platform.Claim
	for _, obj := range list(w.informers[resClaims]) {
		pvc, ok := obj.(*corev1.PersistentVolumeClaim)
		if !ok || !inScope(pvc.Namespace) {
			continue
		}
		c := claim(pvc)
		if m := ordinalSuffix.FindStringSubmatch(pvc.Name); m != nil {
			// the template name is the first dash-separated word
			if tmpl, sts, ok := strings.Cut(m[1], "-"); ok {
				if o, ok := owners[pvc.Namespace+"/"+sts]; ok && slices.Contains(o.roles, tmpl) {
					c.Kind, c.Cluster, c.Role, c.Member = o.kind, o.cluster, tmpl, sts+"-"+m[2]
				}
			}
		}
		if cluster, ok := lts[pvc.Namespace+"/"+pvc.Name]; ok {
			c.Kind, c.Cluster, c.Role = platform.SegmentStore, cluster, "long-term storage"
			if why := ltsInvalid[pvc.Namespace+"/"+cluster]; why != "" {
				c.Invalid = why
			}
		}
		class := c.Class
		if class == "" && pvc.Spec.StorageClassName == nil {
			class = defaultClass
		}
		switch sc := classes[class]; {
		case class == "":
			c.ExpansionWhy = "no storage class"
		case sc != nil && sc.AllowVolumeExpansion != nil && *sc.AllowVolumeExpansion:
			c.Expansion = platform.ExpansionAllowed
		case sc != nil:
			c.Expansion = platform.ExpansionRefused
		case classWhy != "":
			c.ExpansionWhy = classWhy
		default:
			c.ExpansionWhy = "storage class " + class + " not found"
		}
		out = append(out, c)
	}
	slices.SortFunc(out, compareClaims)
	return out
}

// compareClaims orders claims like components (stream store in scaling
// order, then the rest), then by role and name.
func compareClaims(a, b platform.Claim) int {
	if a.Kind != b.Kind {
		return int(a.Kind) - int(b.Kind)
	}
	if c := strings.Compare(a.Namespace+"/"+a.Cluster, b.Namespace+"/"+b.Cluster); c != 0 {
		return c
	}
	if c := strings.Compare(roleOrder(a.Role), roleOrder(b.Role)); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

func roleOrder(r string) string {
	switch r {
	case "ledger":
		return "1"
	case "journal":
		return "2"
	case "index":
		return "3"
	}
	return "0" + r
}

func claim(pvc *corev1.PersistentVolumeClaim) platform.Claim {
	c := platform.Claim{Name: pvc.Name, Namespace: pvc.Namespace, UID: string(pvc.UID), ResourceVersion: pvc.ResourceVersion,
		Kind: platform.Other, Phase: string(pvc.Status.Phase)}
	if pvc.Spec.StorageClassName != nil {
		c.Class = *pvc.Spec.StorageClassName
	}
	if q, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
		c.Requested, c.RequestedText = q.Value(), q.String()
	}
	if q, ok := pvc.Status.Capacity[corev1.ResourceStorage]; ok {
		c.Capacity, c.CapacityText = q.Value(), q.String()
	}
	if q, ok := pvc.Status.AllocatedResources[corev1.ResourceStorage]; ok {
		c.Allocated = q.String()
	}
	if s, ok := pvc.Status.AllocatedResourceStatuses[corev1.ResourceStorage]; ok {
		c.ResizeStatus = string(s)
	}
	for _, cond := range pvc.Status.Conditions {
		c.Conditions = append(c.Conditions, platform.Condition{Type: string(cond.Type), Status: string(cond.Status),
			Reason: cond.Reason, Message: cond.Message, LastTransition: cond.LastTransitionTime.Time})
	}
	if c.RequestedText == "" {
		c.Invalid = "spec.resources.requests.storage is not set"
	}
	return c
}
