package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/rotation"
)

// rotateParallel is how many rotations warden rotate --all runs at once.
const rotateParallel = 4

// rotateAll rotates every rotatable credential of an org, except its
// monitoring credential, showing a progress bar on stderr.
func (m *Main) rotateAll(ctx context.Context, e *env, orgName, trigger string, now, plan bool) error {
	o, err := e.store.Org(ctx, orgName)
	if err != nil {
		return err
	}
	all, err := e.store.Credentials(ctx, o.Name)
	if err != nil {
		return err
	}
	var creds []*warden.Credential
	for _, c := range all {
		if _, err := rotation.Steps(c.Kind); err == nil && c.Name != o.MonitoringCredential {
			creds = append(creds, c)
		}
	}
	if plan {
		for _, c := range creds {
			if err := printPlan(ctx, m.Stdout, e.store, c); err != nil {
				return err
			}
			fmt.Fprintln(m.Stdout)
		}
		return nil
	}
	bar := &rotationBar{p: m.progress(), total: len(creds)}
	eng, err := m.rotationEngine(e, rotationOptions{NoGrace: now, OnStep: func(*warden.RotationJob, string, error) { bar.step() }})
	if err != nil {
		return err
	}
	type result struct {
		cred string
		job  *warden.RotationJob
		err  error
	}
	results := make([]result, len(creds))
	sem := make(chan struct{}, rotateParallel)
	var wg sync.WaitGroup
	bar.draw()
	for i, c := range creds {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			j, err := startOrResume(ctx, eng, c.Name, trigger, io.Discard)
			if err == nil {
				j, err = eng.Run(ctx, j.ID)
			}
			results[i] = result{cred: c.Name, job: j, err: err}
			bar.done(err != nil)
		}()
	}
	wg.Wait()
	bar.p.Done()
	failed := 0
	for _, r := range results {
		switch {
		case r.job != nil:
			fmt.Fprintf(m.Stdout, "%-30s %s\n", r.cred, outcome(r.job))
		default:
			fmt.Fprintf(m.Stdout, "%-30s not started: %s\n", r.cred, warden.ErrorMessage(r.err))
		}
		if r.err != nil {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(m.Stderr, "warden: %d of %d rotations did not complete\n", failed, len(creds))
		return errFailed
	}
	return nil
}

// rotationBar draws a progress bar of an org's rotations on the
// command's progress line.
type rotationBar struct {
	p *progress

	mu                      sync.Mutex
	total, finished, failed int
	steps                   int
}

// step counts a step, so the bar shows life during long rotations.
func (b *rotationBar) step() {
	b.mu.Lock()
	b.steps++
	b.mu.Unlock()
	b.draw()
}

// done counts a finished rotation.
func (b *rotationBar) done(failed bool) {
	b.mu.Lock()
	b.finished++
	if failed {
		b.failed++
	}
	b.mu.Unlock()
	b.draw()
}

// draw redraws the bar.
func (b *rotationBar) draw() {
	b.mu.Lock()
	defer b.mu.Unlock()
	const width = 30
	filled := 0
	if b.total > 0 {
		filled = b.finished * width / b.total
	}
	b.p.Step(fmt.Sprintf("[%s%s] %d/%d rotated, %d failed, %d steps", strings.Repeat("#", filled), strings.Repeat(".", width-filled), b.finished, b.total, b.failed, b.steps))
}
