package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"refuge/crypto/manifest"
	"refuge/server"
	"refuge/server/store"
)

// warnDays is how many days before the key manifest or the TLS
// certificate expires the server starts saying so.
const warnDays = 14

// manifestNotice says what the operator must know about the published key
// manifest at now: nothing (""), that there is none, that it expires
// within warnDays, or that it has expired. Clients refuse an expired
// manifest, so from that day on nothing can be submitted, referred or
// relayed: an outage that the server itself would not otherwise notice.
func manifestNotice(ctx context.Context, st store.Store, now time.Time) (slog.Level, string) {
	b, _, version, err := st.Manifest(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return slog.LevelWarn, "no key manifest is published yet: nothing can be submitted, referred or relayed until one is " +
			"(refuge-server publish --data DIR --root-pub KEY manifest.json manifest.json.minisig)"
	}
	if err != nil {
		return slog.LevelError, fmt.Sprintf("cannot read the published key manifest: %v", err)
	}
	m, err := manifest.Parse(b)
	if err != nil {
		return slog.LevelError, fmt.Sprintf("the published key manifest does not parse: %v", err)
	}
	days, err := daysLeft(m, now)
	if err != nil {
		return slog.LevelError, fmt.Sprintf("the published key manifest has no valid expiry: %v", err)
	}
	renew := "the officers sign a new one with a higher version (refuge-officer manifest sign) and it is published " +
		"(refuge-server publish, or refuge courier push of a folder holding manifest.json and its .minisig)"
	switch {
	case days < 0:
		return slog.LevelError, fmt.Sprintf("the key manifest (version %d) expired at the end of %s (UTC): clients refuse it, "+
			"so nothing can be submitted, referred or relayed until %s", version, m.Expires, renew)
	case days <= warnDays:
		return slog.LevelWarn, fmt.Sprintf("the key manifest (version %d) expires at the end of %s (UTC), %s: "+
			"after that nothing can be submitted, referred or relayed until %s", version, m.Expires, inDays(days), renew)
	}
	return slog.LevelInfo, ""
}

// daysLeft is the number of whole UTC days from now's day to m's last
// valid day: 0 on that day, -1 the day after.
func daysLeft(m *manifest.Manifest, now time.Time) (int, error) {
	end, err := m.ExpiresAt() // midnight after the last valid day
	if err != nil {
		return 0, err
	}
	return daysFrom(now, end) - 1, nil
}

// daysFrom is the number of UTC days from from's day to to's day.
func daysFrom(from, to time.Time) int {
	day := func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
	return int(day(to).Sub(day(from)) / (24 * time.Hour))
}

// inDays words a number of days left for the log: "today", "tomorrow",
// "in 5 days".
func inDays(n int) string {
	switch n {
	case 0:
		return "today"
	case 1:
		return "tomorrow"
	}
	return fmt.Sprintf("in %d days", n)
}

// certificateNotice says when the served TLS certificate expires within
// warnDays, or has expired ("" otherwise).
func certificateNotice(cert *server.Certificate, now time.Time) (slog.Level, string) {
	if cert == nil {
		return slog.LevelInfo, ""
	}
	end := cert.NotAfter().UTC()
	days := daysFrom(now, end)
	switch {
	case !now.Before(end):
		return slog.LevelError, fmt.Sprintf("the TLS certificate expired on %s (UTC): clients refuse to connect until it is renewed "+
			"(the server serves renewed files without a restart)", end.Format(time.DateOnly))
	case days <= warnDays:
		return slog.LevelWarn, fmt.Sprintf("the TLS certificate expires on %s (UTC), %s: renew it "+
			"(the server serves renewed files without a restart)", end.Format(time.DateOnly), inDays(days))
	}
	return slog.LevelInfo, ""
}

// noticer logs each kind of notice when it differs from the last one of
// that kind, so that a check that runs every hour says each thing once a
// day at most.
type noticer struct {
	log  *slog.Logger
	last map[string]string
	seen *published // the key manifest's partners at the last check
}

func (n *noticer) say(ctx context.Context, kind string, level slog.Level, msg string) {
	if n.last == nil {
		n.last = map[string]string{}
	}
	if msg == n.last[kind] {
		return
	}
	n.last[kind] = msg
	if msg != "" {
		n.log.Log(ctx, level, msg)
	}
}

// check logs what the operator must know about the key manifest and the
// TLS certificate (nil without TLS) at now.
func (n *noticer) check(ctx context.Context, st store.Store, cert *server.Certificate, now time.Time) {
	level, msg := manifestNotice(ctx, st, now)
	n.say(ctx, "manifest", level, msg)
	level, msg = certificateNotice(cert, now)
	n.say(ctx, "certificate", level, msg)
	n.checkPartners(ctx, st)
}

// checkPartners warns, once, when the key manifest published since the
// last check no longer lists a partner whose token is still active.
// refuge-server publish says so at the operator's terminal; a manifest a
// courier pushes over HTTP has no terminal, and the server never logs a
// request, so the warning waits for the next check, as the expiry notices
// do. The first check only notes the partners of the manifest it finds; a
// look-up that fails only loses the warning.
func (n *noticer) checkPartners(ctx context.Context, st store.Store) {
	p, err := publishedPartners(ctx, st)
	if err != nil || p == nil {
		return
	}
	before := n.seen
	n.seen = p
	if before == nil || before.version == p.version {
		return
	}
	toks, err := st.Tokens(ctx)
	if err != nil {
		return
	}
	if w := droppedWarning(before, p, activePartners(toks)); w != "" {
		n.log.Warn(w)
	}
}
