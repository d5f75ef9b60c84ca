package gateway

import (
	"context"
	"sync"

	"github.com/reskit/res/gateway/cache"
	"github.com/reskit/res/resprot"
)

// refTree loads a resource and every resource it reaches through hard
// references from the cache, for one HTTP request. The request's
// goroutine owns it; the cache reports loads through treeNode, which
// queues them in arrived and signals wake, and pump takes them in.
type refTree struct {
	cache    *cache.Cache
	realRID  func(string) string
	throttle int // most references loading at once; 0 means no limit

	// Owned by the request's goroutine.
	nodes   map[string]*treeNode
	waiting []*treeNode // references waiting for the throttle
	loading int         // nodes subscribed and not loaded yet
	refs    int         // references among them

	wake chan struct{}
	// mu protects arrived.
	mu      sync.Mutex
	arrived []loadedNode
}

// treeNode is one resource of a refTree. Once loaded, it holds the
// resource or the error that prevented loading it.
type treeNode struct {
	t      *refTree
	rid    string // as referenced: may hold the {cid} tag
	isRef  bool
	handle *cache.Handle
	loaded bool
	snap   cache.Snapshot
	err    *resprot.Error
}

type loadedNode struct {
	n    *treeNode
	snap cache.Snapshot
	err  error
}

func newRefTree(c *cache.Cache, realRID func(string) string, throttle int) *refTree {
	return &refTree{
		cache:    c,
		realRID:  realRID,
		throttle: throttle,
		nodes:    make(map[string]*treeNode),
		wake:     make(chan struct{}, 1),
	}
}

// add starts loading rid unless it is known.
func (t *refTree) add(rid string, isRef bool) {
	if t.nodes[rid] != nil {
		return
	}
	n := &treeNode{t: t, rid: rid, isRef: isRef}
	t.nodes[rid] = n
	t.loading++
	if isRef && t.throttle > 0 && t.refs >= t.throttle {
		t.waiting = append(t.waiting, n)
		return
	}
	t.subscribe(n)
}

func (t *refTree) subscribe(n *treeNode) {
	if n.isRef {
		t.refs++
	}
	n.handle = t.cache.Subscribe(t.realRID(n.rid), n)
}

// pump takes in the loads that arrived, and starts loading the resources
// they reference.
func (t *refTree) pump() {
	t.mu.Lock()
	list := t.arrived
	t.arrived = nil
	t.mu.Unlock()
	for _, l := range list {
		n := l.n
		n.loaded = true
		t.loading--
		if n.isRef {
			t.refs--
		}
		if l.err != nil {
			n.err = resprot.ToError(l.err)
		} else {
			n.snap = l.snap
			n.snap.Refs(func(rid string) { t.add(rid, true) })
		}
	}
	for len(t.waiting) > 0 && (t.throttle <= 0 || t.refs < t.throttle) {
		n := t.waiting[0]
		t.waiting = t.waiting[1:]
		t.subscribe(n)
	}
}

// wait waits until every resource of the tree is loaded, or ctx is done.
func (t *refTree) wait(ctx context.Context) error {
	t.pump()
	for t.loading > 0 {
		select {
		case <-t.wake:
			t.pump()
		case <-ctx.Done():
			return errCanceled
		}
	}
	return nil
}

// close releases the tree's resources in the cache.
func (t *refTree) close() {
	for _, n := range t.nodes {
		if n.handle != nil {
			n.handle.Close()
		}
	}
}

// Loaded implements cache.Subscriber.
func (n *treeNode) Loaded(snap cache.Snapshot, err error) {
	t := n.t
	t.mu.Lock()
	t.arrived = append(t.arrived, loadedNode{n, snap, err})
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Event implements cache.Subscriber. An HTTP response shows the
// resources as they were loaded.
func (n *treeNode) Event(*cache.Event) {}

// Reaccess implements cache.Subscriber. Access is checked once per HTTP
// request.
func (n *treeNode) Reaccess() {}
