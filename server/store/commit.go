package store

import (
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// groupCommit joins the transactions of concurrent callers into one bbolt
// commit (one fsync), like bbolt's DB.Batch but without its fixed delay: a
// caller that finds no commit running commits at once, and whoever
// arrives while a commit runs goes into the next one. A lone upload pays
// no extra latency; 64 concurrent ones share commits.
//
// A caller may also name a directory whose entries (a new file, a rename)
// must be durable before its transaction commits: the leader fsyncs each
// directory named in a batch once, then commits. 64 uploads finishing
// together then cost a few directory fsyncs instead of 64, and the order
// that durability needs (name first, record second) holds for each.
//
// As with DB.Batch, a function may run more than once (its transaction is
// rolled back if another function in the batch fails, then it runs
// again), so it must only read and write through tx and set its results
// afresh on each run.
type groupCommit struct {
	db    *bolt.DB
	mu    sync.Mutex
	queue []commitCall
	busy  bool // a leader goroutine is committing
}

type commitCall struct {
	fn  func(*bolt.Tx) error
	dir string // to fsync before the commit; "" for none
	err chan error
}

// errSolo tells a caller that its function failed inside a batch and must
// run in a transaction of its own to get its own error.
var errSolo = errors.New("run alone")

func (g *groupCommit) update(fn func(*bolt.Tx) error) error {
	return g.updateAfterSync("", fn)
}

// updateAfterSync is update, after an fsync of dir that started after
// the call did: every entry the caller made in dir before calling is
// durable before fn's transaction commits.
func (g *groupCommit) updateAfterSync(dir string, fn func(*bolt.Tx) error) error {
	c := commitCall{fn: fn, dir: dir, err: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	if lead {
		g.lead()
	}
	err := <-c.err
	if err == errSolo {
		err = g.db.Update(fn)
	}
	return err
}

// lead commits everything queued, then passes the lead on to a new
// goroutine if more arrived meanwhile, so no caller waits for others'
// commits after its own.
func (g *groupCommit) lead() {
	g.mu.Lock()
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()
	g.run(batch)
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) == 0 {
		g.busy = false
		return
	}
	go g.lead()
}

func (g *groupCommit) run(batch []commitCall) {
	batch = g.syncDirs(batch)
	for len(batch) > 0 {
		failed := -1
		err := g.db.Update(func(tx *bolt.Tx) error {
			for i, c := range batch {
				if err := c.fn(tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, c := range batch {
				c.err <- err
			}
			return
		}
		batch[failed].err <- errSolo
		batch = append(batch[:failed], batch[failed+1:]...)
	}
}

// syncDirs fsyncs each directory named in the batch once. The callers
// whose directory failed get that error and leave the batch.
func (g *groupCommit) syncDirs(batch []commitCall) []commitCall {
	errs := map[string]error{}
	for _, c := range batch {
		if _, done := errs[c.dir]; c.dir != "" && !done {
			errs[c.dir] = syncDir(c.dir)
		}
	}
	kept := batch[:0]
	for _, c := range batch {
		if err := errs[c.dir]; err != nil {
			c.err <- fmt.Errorf("store: sync directory: %w", err)
			continue
		}
		kept = append(kept, c)
	}
	return kept
}
