package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"refuge/crypto/manifest"
	"refuge/internal/cli"
	"refuge/internal/uploaders"
	"refuge/server/store"
)

// The operator names a partner's token (token add --partner NAME); the
// officers name the partner in the key manifest they sign. The officers'
// report compares the two, the token the server recorded for an upload
// with the partner whose signature the bundle carries, and shows a notice
// where they differ: a token named otherwise than the manifest names its
// partner puts a notice on every referral of that partner. So token add
// refuses such a name unless told (--unlisted), token list marks it, and
// publish warns of a partner the new manifest no longer lists.
//
// Refusing, not only warning, because token add prints a token that is
// handed over at once and used for months: a typo ("fdl" for "fld") found
// after the handover means a revocation and a second handover. --unlisted
// keeps the sound cases open: a partner that only relays (a relay carries
// no partner signature, so it needs no key in the manifest and is never
// compared), and one the officers' next manifest will list.

// published is what the token commands need of the key manifest the
// server publishes.
type published struct {
	version  uint64
	partners []string // in the manifest's order
}

// publishedPartners returns the partner names of the key manifest the
// server publishes: nil when none is published, an error when it cannot
// be read or does not parse.
func publishedPartners(ctx context.Context, st store.Store) (*published, error) {
	b, _, version, err := st.Manifest(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the published key manifest: %w", err)
	}
	m, err := manifest.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("the published key manifest does not parse: %w", err)
	}
	return partnersOf(m, version), nil
}

// partnersOf returns the partner names of m, published as version.
func partnersOf(m *manifest.Manifest, version uint64) *published {
	p := &published{version: version}
	for _, pt := range m.Partners {
		p.partners = append(p.partners, pt.Name)
	}
	return p
}

func (p *published) lists(name string) bool { return slices.Contains(p.partners, name) }

// checkPartnerName checks the name of a new partner token against the
// published key manifest. It returns the notes to show with the new token,
// or, when the manifest does not list name and unlisted is false, the
// refusal. A name the store refuses anyway is left to the store's message.
func checkPartnerName(ctx context.Context, st store.Store, name string, unlisted bool) ([]string, *adminResult) {
	if !uploaders.ValidName(name) {
		return nil, nil
	}
	p, err := publishedPartners(ctx, st)
	switch {
	case err != nil:
		return []string{fmt.Sprintf("warning: %v: the partner name was not checked against it", err)}, nil
	case p == nil:
		return []string{"note: no key manifest is published yet, so the partner name was not checked against it; " +
			"name the token as the manifest will name the partner (token list marks one it does not)"}, nil
	case p.lists(name):
		return nil, nil
	case unlisted:
		return []string{fmt.Sprintf("note: the published key manifest (version %d) does not list partner %q; added as asked (--unlisted)", p.version, name)}, nil
	}
	// The name is quoted in ASCII (%+q): "fl\u0434" shows what "flд"
	// hides, a letter that only looks like the manifest's.
	var hints []string
	if near := cli.Nearest(strings.ToLower(name), p.partners); near != "" {
		hints = append(hints, fmt.Sprintf("did you mean %q?", near))
	}
	if !manifest.ValidPartnerName(name) {
		hints = append(hints, fmt.Sprintf("a key manifest names a partner with 1 to 32 of a-z, 0-9 and -, so none can list %+q", name))
	}
	hints = append(hints,
		"name a partner's token as the key manifest names the partner: the officers' report compares the two and shows a notice for each referral where they differ",
		"to add it anyway, for a partner the officers' next manifest will list or one that only relays (it needs no key in the manifest), add --unlisted")
	return nil, &adminResult{
		Error: fmt.Sprintf("add token: the published key manifest (version %d) does not list partner %+q (%s); no token was added",
			p.version, name, listsWhat(p.partners)),
		Hints: hints,
	}
}

// reissueNotes is what token reissue says of a partner's name, which it
// keeps and does not refuse: a note when the published key manifest does
// not list it, a warning when it cannot be read.
func reissueNotes(ctx context.Context, st store.Store, name string) []string {
	p, err := publishedPartners(ctx, st)
	switch {
	case err != nil:
		return []string{fmt.Sprintf("warning: %v: the partner name was not checked against it", err)}
	case p == nil || p.lists(name):
		return nil
	}
	return []string{fmt.Sprintf("note: the published key manifest (version %d) does not list partner %+q: right for a partner that only relays; "+
		"a partner that refers must have its token named as the manifest names it, or the officers' report shows a notice on each of its referrals", p.version, name)}
}

// listsWhat says which partners a manifest lists, quoted, at most 20.
func listsWhat(names []string) string {
	if len(names) == 0 {
		return "it lists no partner"
	}
	return "it lists " + quoteNames(names, 20)
}

// quoteNames quotes names in order, separated by commas: at most limit of
// them, then how many more there are.
func quoteNames(names []string, limit int) string {
	var q []string
	for i, n := range slices.Sorted(slices.Values(names)) {
		if i == limit {
			q = append(q, fmt.Sprintf("and %d more", len(names)-limit))
			break
		}
		q = append(q, fmt.Sprintf("%q", n))
	}
	return strings.Join(q, ", ")
}

// activePartners returns the names of the partner tokens not revoked.
func activePartners(toks []store.Token) []string {
	var names []string
	for _, t := range toks {
		if t.Role == store.RolePartner && !t.Revoked {
			names = append(names, t.Name)
		}
	}
	return names
}

// partnerNotes says which of the active partner tokens the manifest
// after does not list: a warning for those the manifest before listed (a
// partner dropped, or renamed; before is nil when there was none), a note
// for the others, which a partner that only relays rightly is.
func partnerNotes(before, after *published, active []string) []string {
	var missing []string
	for _, n := range active {
		if !after.lists(n) && (before == nil || !before.lists(n)) {
			missing = append(missing, n)
		}
	}
	var notes []string
	if w := droppedWarning(before, after, active); w != "" {
		notes = append(notes, "warning: "+w)
	}
	if len(missing) > 0 {
		notes = append(notes, fmt.Sprintf("note: the key manifest (version %d) does not list %s, %s active: "+
			"right for a partner that only relays; a partner that refers must have its token named as the manifest names it, "+
			"or the officers' report shows a notice on each of its referrals", after.version, partnersPhrase(missing), whoseTokens(missing)))
	}
	return notes
}

// droppedWarning says which of the active partner tokens the manifest
// after no longer lists though before (nil when there was none) did: ""
// when none.
func droppedWarning(before, after *published, active []string) string {
	if before == nil {
		return ""
	}
	var dropped []string
	for _, n := range active {
		if !after.lists(n) && before.lists(n) {
			dropped = append(dropped, n)
		}
	}
	if len(dropped) == 0 {
		return ""
	}
	return fmt.Sprintf("the key manifest (version %d) no longer lists %s (version %d did), %s still active: "+
		"a partner the manifest does not list can relay but not refer; if the partner was renamed, add a token under its new name "+
		"and revoke the old one (refuge-server token revoke --partner NAME), or have the officers list it again",
		after.version, partnersPhrase(dropped), before.version, whoseTokens(dropped))
}

// partnersPhrase is `partner "a"` or `partners "a", "b"`.
func partnersPhrase(names []string) string {
	if len(names) == 1 {
		return "partner " + quoteNames(names, 20)
	}
	return "partners " + quoteNames(names, 20)
}

func whoseTokens(names []string) string {
	if len(names) == 1 {
		return "whose token is"
	}
	return "whose tokens are"
}
