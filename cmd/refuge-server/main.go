// Command refuge-server is Refuge's drop-box server: it takes resumable
// tus uploads of age ciphertext, serves the signed key manifest, and lets
// couriers pull submissions and push replies and acknowledgements. It
// holds only ciphertext and never logs who talks to it.
//
// Usage:
//
//	refuge-server --data DIR --root-pub RW... [--listen ADDR] [--tls-cert F --tls-key F]
//	refuge-server --dev [--keep] [--listen 127.0.0.1:PORT]
//	refuge-server token add --partner NAME [--unlisted] --data DIR
//	refuge-server token add --courier NAME --data DIR
//	refuge-server token reissue (--partner NAME | --courier NAME) --data DIR
//	refuge-server token revoke (--partner NAME | --courier NAME) --data DIR
//	refuge-server token list --data DIR
//	refuge-server publish --data DIR --root-pub RW... manifest.json manifest.json.minisig
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"refuge/internal/cli"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // something failed; the message says what
	exitUsage = 2 // bad flags or arguments
)

const usage = `refuge-server: the drop-box server; it holds only ciphertext.

Usage:
    refuge-server --data DIR --root-pub KEY [--listen ADDR...]
                  [--tls-cert FILE --tls-key FILE]
    refuge-server --dev [--keep] [--listen 127.0.0.1:PORT]
    refuge-server token add --partner NAME [--unlisted] --data DIR
    refuge-server token add --courier NAME --data DIR
    refuge-server token reissue (--partner NAME | --courier NAME) --data DIR
    refuge-server token revoke (--partner NAME | --courier NAME) --data DIR
    refuge-server token list --data DIR
    refuge-server publish --data DIR --root-pub KEY
                  manifest.json manifest.json.minisig

Serve:
    --data DIR          data directory (created 0700): refuge.db and the
                        ciphertext files
    --root-pub KEY      the manifest root public key (minisign, "RW...")
                        that every published manifest must verify against
    --listen ADDR       host:port, or unix:/path/to/socket (made 0660) for an
                        onion service in front (default 127.0.0.1:8443); give it
                        again to listen on more than one (docs/operating.md)
    --tls-cert FILE     serve TLS on every host:port with this certificate chain
                        (and --tls-key); a unix: socket stays plain HTTP (the
                        onion service encrypts). Renewed files are served
                        within a minute, without a restart
    --max-upload BYTES  largest upload (default 64 GiB)
    --min-free BYTES    disk space uploads never take, kept for the records,
                        acknowledgements and deletions (default 128 MiB); an
                        upload that would go below it is refused with 507
    --rate-limit N      requests per second for all clients together
                        (default 200; the server keeps no addresses, so the
                        limit is global)
    --max-connections N connections open at once, over all --listen addresses
                        (default 4096, some tens of KiB each); more wait
    --dev               throwaway demo setup in a temporary directory: demo
                        keys, a signed manifest, 127.0.0.1 only. NEVER for
                        real use. Ctrl-C (or SIGTERM) stops it and deletes
                        the directory
    --keep              with --dev: leave the directory when stopped

Tokens (partner and courier bearer tokens; the server keeps only SHA-256;
"refuge-server token add --help", and each subcommand's, tells more):
    token add prints a new token once; token revoke disables one.
    A token that leaked or was lost: token reissue revokes the active token
    of NAME and prints a new one under the same name, in one step; uploads
    the old one began stop with it. After a revoke, token add takes the
    name again; while a token of the name is active, it refuses it.
    token list shows every token, revoked ones too, a name's oldest first:
    name, role, creation day, state (active or revoked), and whether the
    published key manifest lists a partner token's name.
    Name a partner's token as the key manifest names the partner (the
    officers' report compares the two): token add --partner refuses a name
    the published manifest does not list, unless --unlisted is given (a
    partner that only relays needs no key in the manifest; or one the next
    manifest will list). publish warns of an active partner token the new
    manifest no longer lists.
    While the server runs they go through its admin socket (DATA/admin.sock,
    0600: only the server's own user and root can use it), so a token takes
    effect, or stops working, at once; otherwise they open the database.
    They and publish work only on a data directory the server has made (at
    its first start): a --data without refuge.db, such as a mistyped path,
    is refused, and nothing is made. Start the server before the first one.
    A refuge.db that is no sound database (empty, another file, cut short,
    a link) is refused, by the server's start too: the server never
    overwrites or repairs it.

Examples:
    refuge-server --dev
    refuge-server --data /var/lib/refuge --root-pub RWQf6LRC... \
        --listen unix:/run/refuge/refuge.sock
    refuge-server --data /var/lib/refuge --root-pub RWQf6LRC... \
        --listen unix:/run/refuge/refuge.sock --listen 0.0.0.0:443 \
        --tls-cert /etc/refuge/tls/fullchain.pem \
        --tls-key /etc/refuge/tls/privkey.pem
    refuge-server token add --courier desk1 --data /var/lib/refuge
    refuge-server token reissue --partner fld --data /var/lib/refuge

Exit status: 0 success, 1 failure, 2 usage error.`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// subcommands are refuge-server's commands besides serving, which come
// first on the command line, in the order its messages list them.
var subcommands = cli.Commands[func(args []string, stdout, stderr io.Writer) int]{
	{Name: "token", Run: tokenCmd},
	{Name: "publish", Run: publishCmd},
}

func run(args []string, stdout, stderr io.Writer) int {
	args, ce := subcommands.HelpFirst(prog, args) // "help token add"
	if ce != nil {
		return fail(stderr, ce)
	}
	if len(args) > 0 {
		if cmd, ok := subcommands.Lookup(args[0]); ok {
			return cmd(args[1:], stdout, stderr)
		}
		switch args[0] {
		case "-h", "-help", "--help":
			fmt.Fprintln(stdout, usage)
			return exitOK
		}
	}
	return serveCmd(args, stdout, stderr)
}

// prog is the name in front of each line refuge-server prints for the
// operator, as the other programs put theirs.
const prog = "refuge-server"

// out returns the output of refuge-server's messages to stderr:
// "refuge-server: MESSAGE", "refuge-server: warning: …", "refuge-server:
// hint: …". The server's log (slog) is not written through it.
func out(stderr io.Writer) cli.Output { return cli.Output{Prog: prog, W: stderr} }

// fail prints err as "refuge-server: error: MESSAGE" and its hints to
// stderr, and returns its exit code.
func fail(stderr io.Writer, err *cli.Error) int { return out(stderr).Fail(err) }

// newFlags returns the flag set of command ("refuge-server publish"),
// whose -h and --help print help, the command's own, on stdout.
func newFlags(command, help string, stdout io.Writer) *flag.FlagSet {
	return cli.NewFlags(command, help, stdout)
}

// flagFail ends a command whose arguments cli.Parse refused: exitOK after
// the help it printed, exitUsage after the error, printed with its hints
// (one line and a did-you-mean for a mistyped flag).
func flagFail(stderr io.Writer, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ce *cli.Error
	if !errors.As(err, &ce) {
		ce = cli.Errorf(exitUsage, "%v", err)
	}
	return fail(stderr, &cli.Error{Code: exitUsage, Msg: ce.Msg, Hints: ce.Hints})
}

// usageFail prints the usage error of command with its hints, and a
// did-you-mean when word is near one of names ("tokn": "refuge-server
// token"), and returns exitUsage.
func usageFail(stderr io.Writer, command, word string, names []string, format string, args ...any) int {
	ce := cli.Usagef(command, format, args...)
	if near := cli.Nearest(word, names); near != "" {
		ce.Hints = append([]string{fmt.Sprintf("did you mean %q?", command+" "+near)}, ce.Hints...)
	}
	return fail(stderr, ce)
}
