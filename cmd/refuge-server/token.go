package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"refuge/server"
	"refuge/server/store"
)

func tokenCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		errorf(stderr, []string{"refuge-server token add|revoke|list --help"}, "token needs a subcommand")
		return exitUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "", "data directory")
	partner := fs.String("partner", "", "partner name")
	courier := fs.String("courier", "", "courier name")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		errorf(stderr, []string{"run refuge-server --help"}, "bad arguments to token %s", sub)
		return exitUsage
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
	st, err := store.Open(*data, store.Options{})
	if err != nil {
		errorf(stderr, []string{"token commands open the database directly: stop refuge-server first"}, "%v", err)
		return exitError
	}
	defer st.Close()
	ctx := context.Background()
	switch sub {
	case "add":
		tok, err := addToken(ctx, st, role, name)
		if err != nil {
			errorf(stderr, nil, "add token: %v", err)
			return exitError
		}
		fmt.Fprintf(stdout, "%s\n", tok)
		fmt.Fprintf(stderr, "refuge-server: this %s token for %q is shown only once; the server keeps only its SHA-256\n", role, name)
	case "revoke":
		if err := st.RevokeToken(ctx, role, name); err != nil {
			errorf(stderr, nil, "revoke token: %v", err)
			return exitError
		}
		fmt.Fprintf(stderr, "refuge-server: revoked the %s token %q\n", role, name)
	case "list":
		toks, err := st.Tokens(ctx)
		if err != nil {
			errorf(stderr, nil, "list tokens: %v", err)
			return exitError
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tREVOKED")
		for _, t := range toks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", t.Name, t.Role, t.Created, t.Revoked)
		}
		tw.Flush()
	default:
		errorf(stderr, nil, "unknown token subcommand %q (add, revoke, list)", sub)
		return exitUsage
	}
	return exitOK
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
