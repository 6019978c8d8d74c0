package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	req := tokenRequest{Op: sub, Role: role, Name: name}
	res, ok := runAdmin(stderr, *data, "/token", req, "stop the server and run the command again",
		func(st store.Store) adminResult { return doToken(context.Background(), st, req) })
	if !ok {
		return exitError
	}
	fmt.Fprint(stdout, res.Out)
	if res.Info != "" {
		fmt.Fprintf(stderr, "refuge-server: %s\n", res.Info)
	}
	return exitOK
}

// tokenRequest is one token command, run directly on the database or sent
// to a running server over its admin socket.
type tokenRequest struct {
	Op   string     `json:"op"` // add, revoke, list
	Role store.Role `json:"role,omitempty"`
	Name string     `json:"name,omitempty"`
}

func doToken(ctx context.Context, st store.Store, req tokenRequest) adminResult {
	switch req.Op {
	case "add":
		if req.Role != store.RolePartner && req.Role != store.RoleCourier {
			return adminResult{Error: "add token: the role must be partner or courier"}
		}
		tok, err := addToken(ctx, st, req.Role, req.Name)
		if err != nil {
			return adminResult{Error: fmt.Sprintf("add token: %v", err)}
		}
		return adminResult{Out: tok + "\n", Info: fmt.Sprintf("this %s token for %q is shown only once; the server keeps only its SHA-256", req.Role, req.Name)}
	case "revoke":
		if err := st.RevokeToken(ctx, req.Role, req.Name); err != nil {
			return adminResult{Error: fmt.Sprintf("revoke token: %v", err)}
		}
		return adminResult{Info: fmt.Sprintf("revoked the %s token %q", req.Role, req.Name)}
	case "list":
		toks, err := st.Tokens(ctx)
		if err != nil {
			return adminResult{Error: fmt.Sprintf("list tokens: %v", err)}
		}
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tREVOKED")
		for _, t := range toks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", t.Name, t.Role, t.Created, t.Revoked)
		}
		tw.Flush()
		return adminResult{Out: b.String()}
	}
	return adminResult{Error: fmt.Sprintf("unknown token subcommand %q (%s)", req.Op, strings.Join(tokenCommands, ", "))}
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
