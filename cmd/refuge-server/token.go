package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"refuge/internal/cli"
	"refuge/server"
	"refuge/server/store"
)

// tokenCommands are token's subcommands, in the order its messages list
// them; doToken does each.
var tokenCommands = []string{"add", "revoke", "list"}

func tokenCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		errorf(stderr, []string{"refuge-server token " + strings.Join(tokenCommands, "|") + " --help"}, "token needs a subcommand")
		return exitUsage
	}
	sub := args[0]
	switch {
	case sub == "-h" || sub == "-help" || sub == "--help":
		fmt.Fprintln(stdout, usage)
		return exitOK
	case !slices.Contains(tokenCommands, sub):
		return usageFail(stderr, "refuge-server token", sub, tokenCommands, "unknown token subcommand %q (%s)", sub, strings.Join(tokenCommands, ", "))
	}
	fs := newFlags("refuge-server token "+sub, stdout)
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
		errorf(stderr, nil, "--data is required")
		return exitUsage
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
			errorf(stderr, nil, "give exactly one of --partner NAME or --courier NAME")
			return exitUsage
		}
	}
	if *unlisted && (sub != "add" || role != store.RolePartner) {
		errorf(stderr, nil, "--unlisted is only for token add --partner NAME")
		return exitUsage
	}
	req := tokenRequest{Op: sub, Role: role, Name: name, Unlisted: *unlisted}
	res, ok := runAdmin(stderr, *data, "/token", req, "stop the server and run the command again",
		func(st store.Store) adminResult { return doToken(context.Background(), st, req) })
	if !ok {
		return exitError
	}
	res.print(stdout, stderr)
	return exitOK
}

// tokenRequest is one token command, run directly on the database or sent
// to a running server over its admin socket. Unlisted adds a partner token
// whose name the published key manifest does not list (partners.go).
type tokenRequest struct {
	Op       string     `json:"op"` // add, revoke, list
	Role     store.Role `json:"role,omitempty"`
	Name     string     `json:"name,omitempty"`
	Unlisted bool       `json:"unlisted,omitempty"`
}

func doToken(ctx context.Context, st store.Store, req tokenRequest) adminResult {
	if req.Unlisted && (req.Op != "add" || req.Role != store.RolePartner) {
		return adminResult{Error: "--unlisted is only for token add --partner NAME"}
	}
	switch req.Op {
	case "add":
		return doAdd(ctx, st, req)
	case "revoke":
		if req.Role != store.RolePartner && req.Role != store.RoleCourier {
			return adminResult{Error: "revoke token: the role must be partner or courier"}
		}
		err := st.RevokeToken(ctx, req.Role, req.Name)
		if errors.Is(err, store.ErrNotFound) {
			return revokeNotFound(ctx, st, req)
		}
		if err != nil {
			return adminResult{Error: fmt.Sprintf("revoke token: %v", err)}
		}
		return adminResult{Info: fmt.Sprintf("revoked the %s token %q", req.Role, req.Name)}
	case "list":
		return listTokens(ctx, st)
	}
	return adminResult{Error: fmt.Sprintf("unknown token subcommand %q (%s)", req.Op, strings.Join(tokenCommands, ", "))}
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
	tok, err := addToken(ctx, st, req.Role, req.Name)
	if errors.Is(err, store.ErrExists) && hasToken(ctx, st, req.Role, req.Name) {
		return adminResult{Error: fmt.Sprintf("add token: there is already a %s token named %+q (token list shows it; a revoked token keeps its name); no token was added", req.Role, req.Name)}
	}
	if err != nil {
		return adminResult{Error: fmt.Sprintf("add token: %v", err)}
	}
	return adminResult{Out: tok + "\n", Info: fmt.Sprintf("this %s token for %q is shown only once; the server keeps only its SHA-256", req.Role, req.Name), Notes: notes}
}

// revokeNotFound says that there is no token of req's role and name, and
// whether there is one of that name under the other role. The name, which
// no check has passed, is quoted in ASCII (%+q).
func revokeNotFound(ctx context.Context, st store.Store, req tokenRequest) adminResult {
	res := adminResult{Error: fmt.Sprintf("revoke token: there is no %s token named %+q; nothing was revoked", req.Role, req.Name),
		Hints: []string{"token list shows the tokens, with their roles"}}
	other := store.RolePartner
	if req.Role == store.RolePartner {
		other = store.RoleCourier
	}
	if hasToken(ctx, st, other, req.Name) {
		res.Hints = []string{fmt.Sprintf("there is a %s token named %+q: did you mean --%s?", other, req.Name, other)}
	}
	return res
}

// hasToken reports whether st holds a token, revoked or not, of role and
// name.
func hasToken(ctx context.Context, st store.Store, role store.Role, name string) bool {
	toks, err := st.Tokens(ctx)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(toks, func(t store.Token) bool { return t.Role == role && t.Name == name })
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
	fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tREVOKED\tIN MANIFEST")
	for _, t := range toks {
		listed := "-"
		if t.Role == store.RolePartner && p != nil {
			listed = "NO"
			if p.lists(t.Name) {
				listed = "yes"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\n", t.Name, t.Role, t.Created, t.Revoked, listed)
	}
	tw.Flush()
	return adminResult{Out: b.String(), Notes: notes}
}

// addToken creates a 32-byte random token, stores its verifier and
// returns it as 64 hex characters.
func addToken(ctx context.Context, st store.Store, role store.Role, name string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	err := st.AddToken(ctx, store.Token{Name: name, Role: role, Verifier: server.Verifier(b[:]), Created: store.DayOf(time.Now())})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
