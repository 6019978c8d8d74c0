package main

// The help of each subcommand, which its -h and --help print: what it
// does, its flags and an example, on one screen. The whole program's is
// usage (main.go).

// adminNote ends the help of each command that changes or reads the
// database of a data directory.
const adminNote = `
While the server runs, this goes through its admin socket (DIR/admin.sock)
and takes effect at once; otherwise it opens the database. Run it as the
server's user. DIR must be the data directory the server made at its first
start: one without a sound refuge.db is refused, and nothing is changed.

Exit status: 0 success, 1 failure, 2 usage error.`

const dataFlag = `    --data DIR       the server's data directory, which holds refuge.db`

const tokenHelp = `Usage:
    refuge-server token add --partner NAME [--unlisted] --data DIR
    refuge-server token add --courier NAME --data DIR
    refuge-server token reissue (--partner NAME | --courier NAME) --data DIR
    refuge-server token revoke (--partner NAME | --courier NAME) --data DIR
    refuge-server token list --data DIR

Partner and courier bearer tokens; the server keeps only their SHA-256.
    add       adds a token and prints it, once
    reissue   revokes a name's active token and prints a new one under it
    revoke    stops a token at once
    list      shows every token, revoked ones too

"refuge-server token add --help" (or reissue, revoke, list) tells more.

Example:
    sudo -u refuge refuge-server token add --courier desk1 \
        --data /var/lib/refuge
` + adminNote

const tokenAddHelp = `Usage:
    refuge-server token add --partner NAME [--unlisted] --data DIR
    refuge-server token add --courier NAME --data DIR

Adds a token and prints it once, on standard output: hand it over as you
would a password. The server keeps only its SHA-256. Name a partner's token
as the published key manifest names the partner (the officers' report
compares the two): another name is refused unless --unlisted. While a token
of the name is active, the name is refused: token reissue replaces it.

Flags:
    --partner NAME   a partner's token (refers defenders, relays bundles)
    --courier NAME   a courier's token (pulls submissions, pushes replies)
    --unlisted       with --partner: add it though the published key manifest
                     does not list NAME (a partner that only relays, or one
                     the next manifest will list)
` + dataFlag + `

Examples:
    sudo -u refuge refuge-server token add --courier desk1 \
        --data /var/lib/refuge
    sudo -u refuge refuge-server token add --partner fld --data /var/lib/refuge
` + adminNote

const tokenReissueHelp = `Usage: refuge-server token reissue (--partner NAME | --courier NAME) --data DIR

For a token that leaked or was lost: revokes the active token of NAME and
prints a new one under the same name, once, in one step. Uploads begun with
the old token stop with it; the clients start them again with the new one.

Flags:
    --partner NAME   the name of a partner's token
    --courier NAME   the name of a courier's token
` + dataFlag + `

Example:
    sudo -u refuge refuge-server token reissue --partner fld \
        --data /var/lib/refuge
` + adminNote

const tokenRevokeHelp = `Usage: refuge-server token revoke (--partner NAME | --courier NAME) --data DIR

Stops the active token of NAME at once; uploads begun with it cannot be
finished. token list still shows it, as revoked, and token add can give the
name a new token (token reissue does both in one step).

Flags:
    --partner NAME   the name of a partner's token
    --courier NAME   the name of a courier's token
` + dataFlag + `

Example:
    sudo -u refuge refuge-server token revoke --courier desk1 \
        --data /var/lib/refuge
` + adminNote

const tokenListHelp = `Usage: refuge-server token list --data DIR

Shows every token, revoked ones too, a name's oldest first: name, role,
creation day, state (active or revoked), and whether the published key
manifest lists a partner token's name (yes, NO; - when none is published).

Flags:
` + dataFlag + `

Example:
    sudo -u refuge refuge-server token list --data /var/lib/refuge
` + adminNote

const publishHelp = `Usage:
    refuge-server publish --data DIR --root-pub KEY
        manifest.json manifest.json.minisig

Publishes the key manifest the officers signed (refuge-officer manifest
sign) once it verifies against KEY, the root public key the server runs
with. Its version must be higher than the published one's. It warns of an
active partner token the new manifest no longer lists. Later manifests a
courier can push instead (refuge courier push).

Flags:
` + dataFlag + `
    --root-pub KEY   the manifest root public key (minisign, "RW..."), as
                     given to the server

Example:
    sudo -u refuge refuge-server publish --data /var/lib/refuge \
        --root-pub "$(cat root.pub)" manifest.json manifest.json.minisig
` + adminNote
