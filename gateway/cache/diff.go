package cache

import "github.com/reskit/res/resprot"

// diffModel returns the changes that turn model a into model b: new and
// changed values, and delete actions for the keys that b lacks. It returns
// nil when the models are equal.
func diffModel(a, b map[string]resprot.Value) map[string]resprot.Value {
	var ch map[string]resprot.Value
	for k, v := range b {
		if old, ok := a[k]; ok && valueEqual(old, v) {
			continue
		}
		if ch == nil {
			ch = make(map[string]resprot.Value)
		}
		ch[k] = v
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			if ch == nil {
				ch = make(map[string]resprot.Value)
			}
			ch[k] = resprot.Value{Type: resprot.ValueDelete, Raw: resprot.DeleteAction}
		}
	}
	return ch
}

// collectionOp is one add or remove event of a collection diff.
type collectionOp struct {
	add   bool
	idx   int
	value resprot.Value
}

// maxLCSCells bounds the table of the longest-common-subsequence diff. A
// larger change is sent as removal of the differing middle part followed by
// the insertion of the new one.
const maxLCSCells = 4 << 20

// diffCollection returns the remove and add events that turn collection a
// into collection b, using a longest common subsequence so that kept values
// are neither removed nor added again. Applied in order, the removes (at
// descending indexes) leave the common subsequence, and the adds (at
// ascending indexes) then rebuild b.
func diffCollection(a, b []resprot.Value) []collectionOp {
	// Trim the common prefix and suffix.
	pre := 0
	for pre < len(a) && pre < len(b) && valueEqual(a[pre], b[pre]) {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && valueEqual(a[len(a)-1-suf], b[len(b)-1-suf]) {
		suf++
	}
	am := a[pre : len(a)-suf]
	bm := b[pre : len(b)-suf]
	n, m := len(am), len(bm)
	if n == 0 && m == 0 {
		return nil
	}
	keepA := make([]bool, n)
	keepB := make([]bool, m)
	if n > 0 && m > 0 && n*m <= maxLCSCells {
		// l[i][j] = LCS length of am[i:] and bm[j:], stored row-major.
		w := m + 1
		l := make([]int32, (n+1)*w)
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if valueEqual(am[i], bm[j]) {
					l[i*w+j] = l[(i+1)*w+j+1] + 1
				} else if l[(i+1)*w+j] >= l[i*w+j+1] {
					l[i*w+j] = l[(i+1)*w+j]
				} else {
					l[i*w+j] = l[i*w+j+1]
				}
			}
		}
		for i, j := 0, 0; i < n && j < m; {
			switch {
			case valueEqual(am[i], bm[j]):
				keepA[i], keepB[j] = true, true
				i++
				j++
			case l[(i+1)*w+j] >= l[i*w+j+1]:
				i++
			default:
				j++
			}
		}
	}
	var ops []collectionOp
	for i := n - 1; i >= 0; i-- {
		if !keepA[i] {
			ops = append(ops, collectionOp{idx: pre + i})
		}
	}
	for j := 0; j < m; j++ {
		if !keepB[j] {
			ops = append(ops, collectionOp{add: true, idx: pre + j, value: bm[j]})
		}
	}
	return ops
}
