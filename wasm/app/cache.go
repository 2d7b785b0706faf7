package app

import (
	"encoding/json"
	"fmt"

	"myoseg/core/clinical/record"
	"myoseg/core/pipeline"
	"myoseg/wasm/session"
)

// entry is what a worker keeps of one finished image between messages, so
// that live remeasuring during a brush stroke decodes nothing.
type entry struct {
	sv      *session.Saved
	res     *pipeline.Result // nil until an options change or remeasure needs it
	opts    session.Options  // the options res was made with
	patient *session.Patient
}

// resultCache holds the most recently used entries; older ones are dropped
// and reloaded from storage when needed (a worker's memory is bounded).
type resultCache struct {
	max   int
	order []string // least recently used first
	m     map[string]*entry
}

func newResultCache(max int) *resultCache {
	return &resultCache{max: max, m: map[string]*entry{}}
}

func (c *resultCache) get(id string) (*entry, bool) {
	e, ok := c.m[id]
	if ok {
		c.touch(id)
	}
	return e, ok
}

func (c *resultCache) put(id string, e *entry) {
	c.m[id] = e
	c.touch(id)
	for len(c.order) > c.max {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
}

func (c *resultCache) drop(id string) {
	delete(c.m, id)
	c.remove(id)
}

func (c *resultCache) touch(id string) {
	c.remove(id)
	c.order = append(c.order, id)
}

func (c *resultCache) remove(id string) {
	for i, v := range c.order {
		if v == id {
			c.order = append(c.order[:i], c.order[i+1:]...)
			return
		}
	}
}

func jsonRecord(r record.Record) (json.RawMessage, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	return b, nil
}
