package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"refuge/internal/cli"
	"refuge/server"
	"refuge/server/store"
)

// tokenCommands are token's subcommands, in the order its messages list
// them, each with its help; doToken does each.
var tokenCommands = cli.Commands[string]{
	{Name: "add", Run: tokenAddHelp},
	{Name: "reissue", Run: tokenReissueHelp},
	{Name: "revoke", Run: tokenRevokeHelp},
	{Name: "list", Run: tokenListHelp},
}

func tokenCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return fail(stderr, cli.Errorf(exitUsage, "token needs a subcommand").Hint("refuge-server token %s --help", strings.Join(tokenCommands.Names(), "|")))
	}
	args, ce := tokenCommands.HelpFirst("refuge-server token", args) // "token help add"
	if ce != nil {
		return fail(stderr, ce)
	}
	sub := args[0]
	help, ok := tokenCommands.Lookup(sub)
	switch {
	case sub == "-h" || sub == "-help" || sub == "--help":
		fmt.Fprintln(stdout, tokenHelp)
		return exitOK
	case !ok:
		return usageFail(stderr, "refuge-server token", sub, tokenCommands.Names(), "unknown token subcommand %q (%s)", sub, strings.Join(tokenCommands.Names(), ", "))
	}
	fs := newFlags("refuge-server token "+sub, help, stdout)
	data := fs.String("data", "", "data directory")
	partner := fs.String("partner", "", "partner name")
	courier := fs.String("courier", "", "courier name")
	unlisted := fs.Bool("unlisted", false, "with add --partner: add it though the published key manifest does not list the name")
	pos, err := cli.Parse(fs, args[1:])
	if err != nil {
		return flagFail(stderr, err)
	}
	if len(pos) > 0 {
		return usageFail(stderr, "refuge-server token "+sub, pos[0], nil, "unexpected argument %q", pos[0])
	}
	if *data == "" {
		return fail(stderr, cli.Errorf(exitUsage, "--data is required"))
	}
	var role store.Role
	var name string
	if sub != "list" {
		switch {
		case *partner != "" && *courier == "":
			role, name = store.RolePartner, *partner
		case *courier != "" && *partner == "":
			role, name = store.RoleCourier, *courier
		default:
			return fail(stderr, cli.Errorf(exitUsage, "give exactly one of --partner NAME or --courier NAME"))
		}
	}
	if *unlisted && (sub != "add" || role != store.RolePartner) {
		e := cli.Errorf(exitUsage, "--unlisted is only for token add --partner NAME")
		if sub == "reissue" {
			e.Hint("token reissue keeps the name of the token it replaces; leave out --unlisted")
		}
		return fail(stderr, e)
	}
	req := tokenRequest{Op: sub, Role: role, Name: name, Unlisted: *unlisted}
	res, ferr := runAdmin(*data, "", "/token", req, "stop the server and run the command again",
		func(st store.Store) adminResult { return doToken(context.Background(), st, req) })
	if ferr != nil {
		return fail(stderr, ferr)
	}
	res.print(stdout, stderr)
	return exitOK
}

// tokenRequest is one token command, run directly on the database or sent
// to a running server over its admin socket. Unlisted adds a partner token
// whose name the published key manifest does not list (partners.go).
type tokenRequest struct {
	Op       string     `json:"op"` // add, reissue, revoke, list
	Role     store.Role `json:"role,omitempty"`
	Name     string     `json:"name,omitempty"`
	Unlisted bool       `json:"unlisted,omitempty"`
}

// tokenRequestFields are tokenRequest's JSON names, all the admin socket
// takes in a token request.
var tokenRequestFields = []string{"op", "role", "name", "unlisted"}

func doToken(ctx context.Context, st store.Store, req tokenRequest) adminResult {
	if req.Unlisted && (req.Op != "add" || req.Role != store.RolePartner) {
		return adminResult{Error: "--unlisted is only for token add --partner NAME"}
	}
	switch req.Op {
	case "add":
		return doAdd(ctx, st, req)
	case "reissue":
		return doReissue(ctx, st, req)
	case "revoke":
		if req.Role != store.RolePartner && req.Role != store.RoleCourier {
			return adminResult{Error: "revoke token: the role must be partner or courier"}
		}
		err := st.RevokeToken(ctx, req.Role, req.Name)
		if errors.Is(err, store.ErrNotFound) {
			return notFound(ctx, st, req, "revoke token", "nothing was revoked")
		}
		if err != nil {
			return adminResult{Error: fmt.Sprintf("revoke token: %v", err)}
		}
		return adminResult{Info: fmt.Sprintf("revoked the %s token %q", req.Role, req.Name)}
	case "list":
		return listTokens(ctx, st)
	}
	return adminResult{Error: fmt.Sprintf("unknown token subcommand %q (%s)", req.Op, strings.Join(tokenCommands.Names(), ", "))}
}

// doAdd adds a token; a partner's only under a name the published key
// manifest lists, unless req.Unlisted (checkPartnerName).
func doAdd(ctx context.Context, st store.Store, req tokenRequest) adminResult {
	if req.Role != store.RolePartner && req.Role != store.RoleCourier {
		return adminResult{Error: "add token: the role must be partner or courier"}
	}
	var notes []string
	if req.Role == store.RolePartner {
		var refused *adminResult
		if notes, refused = checkPartnerName(ctx, st, req.Name, req.Unlisted); refused != nil {
			return *refused
		}
	}
	before := countTokens(ctx, st, req.Role, req.Name)
	tok, err := addToken(ctx, st, req.Role, req.Name)
	if errors.Is(err, store.ErrExists) && before.active > 0 {
		return adminResult{Error: fmt.Sprintf("add token: the %s token named %+q is active; no token was added", req.Role, req.Name),
			Hints: []string{fmt.Sprintf("if it leaked or was lost: refuge-server token reissue --%s %s --data DIR revokes it and prints a new one under the same name, in one step",
				req.Role, shellWord(req.Name))}}
	}
	if err != nil {
		return adminResult{Error: fmt.Sprintf("add token: %v", err)}
	}
	switch n := before.revoked; {
	case n == 1:
		notes = append(notes, fmt.Sprintf("note: the %s token named %q before this one stays revoked; uploads begun with it cannot be finished", req.Role, req.Name))
	case n > 1:
		notes = append(notes, fmt.Sprintf("note: the %s named %q before this one stay revoked; uploads begun with them cannot be finished",
			cli.Plural(n, string(req.Role)+" token"), req.Name))
	}
	return adminResult{Out: tok + "\n", Info: shownOnce(req), Notes: notes}
}

// doReissue revokes the active token of req's role and name, if there is
// one, and adds a new one under the same name, in one step
// (store.ReissueToken): what an operator does when a token leaked. A
// partner's name is not checked against the published key manifest as
// token add checks a new name: it is the name the partner has had, and a
// partner that only relays rightly has one the manifest does not list; a
// note says so.
func doReissue(ctx context.Context, st store.Store, req tokenRequest) adminResult {
	if req.Role != store.RolePartner && req.Role != store.RoleCourier {
		return adminResult{Error: "reissue token: the role must be partner or courier"}
	}
	var revoked bool
	tok, err := newToken(func(v [32]byte) (err error) {
		revoked, err = st.ReissueToken(ctx, store.Token{Name: req.Name, Role: req.Role, Verifier: v, Created: store.DayOf(time.Now())})
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound(ctx, st, req, "reissue token", "nothing was revoked or added",
			fmt.Sprintf("a name's first token is added by refuge-server token add --%s %s --data DIR", req.Role, shellWord(req.Name)))
	}
	if err != nil {
		return adminResult{Error: fmt.Sprintf("reissue token: %v", err)}
	}
	notes := []string{"note: uploads begun with the old token cannot be finished; they are started again with the new one"}
	if !revoked {
		notes[0] = fmt.Sprintf("note: no %s token named %q was active (revoked before); uploads begun with the old one cannot be finished", req.Role, req.Name)
	}
	if req.Role == store.RolePartner {
		notes = append(notes, reissueNotes(ctx, st, req.Name)...)
	}
	info := fmt.Sprintf("revoked the %s token %q and added a new one under that name: %s", req.Role, req.Name, shownOnce(req))
	if !revoked {
		info = fmt.Sprintf("added a new %s token under the name %q: %s", req.Role, req.Name, shownOnce(req))
	}
	return adminResult{Out: tok + "\n", Info: info, Notes: notes}
}

func shownOnce(req tokenRequest) string {
	return fmt.Sprintf("this %s token for %q is shown only once; the server keeps only its SHA-256", req.Role, req.Name)
}

// notFound says that there is no token of req's role and name (op and
// nothing say what failed and what was left undone), and whether there
// is one of that name under the other role; if there is none, it gives
// the hints more after its own. The name, which no check has passed, is
// quoted in ASCII (%+q).
func notFound(ctx context.Context, st store.Store, req tokenRequest, op, nothing string, more ...string) adminResult {
	res := adminResult{Error: fmt.Sprintf("%s: there is no %s token named %+q; %s", op, req.Role, req.Name, nothing),
		Hints: append([]string{"token list shows the tokens, with their roles"}, more...)}
	other := store.RolePartner
	if req.Role == store.RolePartner {
		other = store.RoleCourier
	}
	if n := countTokens(ctx, st, other, req.Name); n.active+n.revoked > 0 {
		res.Hints = []string{fmt.Sprintf("there is a %s token named %+q: did you mean --%s?", other, req.Name, other)}
	}
	return res
}

// tokenCount is how many tokens of a role and name are active (at most
// one) and revoked.
type tokenCount struct{ active, revoked int }

// countTokens counts the tokens of role and name in st.
func countTokens(ctx context.Context, st store.Store, role store.Role, name string) tokenCount {
	var n tokenCount
	toks, err := st.Tokens(ctx)
	if err != nil {
		return n
	}
	for _, t := range toks {
		switch {
		case t.Role != role || t.Name != name:
		case t.Revoked:
			n.revoked++
		default:
			n.active++
		}
	}
	return n
}

// listTokens lists the tokens, and for a partner's whether the published
// key manifest lists its name: "yes", "NO", or "-" when no manifest is
// published (or it cannot be read), and for a courier's.
func listTokens(ctx context.Context, st store.Store) adminResult {
	toks, err := st.Tokens(ctx)
	if err != nil {
		return adminResult{Error: fmt.Sprintf("list tokens: %v", err)}
	}
	var notes []string
	p, err := publishedPartners(ctx, st)
	switch {
	case err != nil:
		notes = []string{fmt.Sprintf("warning: %v: partner names are not checked against it", err)}
	case p == nil:
		notes = []string{"note: no key manifest is published yet, so partner names are not checked against it"}
	default:
		notes = partnerNotes(nil, p, activePartners(toks))
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tSTATE\tIN MANIFEST")
	for _, t := range toks {
		listed := "-"
		if t.Role == store.RolePartner && p != nil {
			listed = "NO"
			if p.lists(t.Name) {
				listed = "yes"
			}
		}
		state := "active"
		if t.Revoked {
			state = "revoked"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Role, t.Created, state, listed)
	}
	tw.Flush()
	return adminResult{Out: b.String(), Notes: notes}
}

// addToken adds a new token of role and name to st and returns it, as
// 64 hex characters.
func addToken(ctx context.Context, st store.Store, role store.Role, name string) (string, error) {
	return newToken(func(v [32]byte) error {
		return st.AddToken(ctx, store.Token{Name: name, Role: role, Verifier: v, Created: store.DayOf(time.Now())})
	})
}

// newToken makes a token of 32 random bytes, has store keep its verifier
// (server.Verifier) and returns it as 64 hex characters.
func newToken(store func(verifier [32]byte) error) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	if err := store(server.Verifier(b[:])); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// shellWord is s as one word of a shell command: as it is when it is
// made of letters, digits and ./_-, else in single quotes.
func shellWord(s string) string {
	unsafe := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("./_-", r))
	})
	if s != "" && unsafe < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
