package main

const ackkeyHelp = `Usage: refuge-officer ackkey -o FILE [--passphrase-file F]

Makes the acknowledgement key: a minisign Ed25519 key that signs the
statements "submission X, ciphertext SHA-256 Y, imported" which "open
--ack-key" writes, and on which the server deletes that ciphertext. List its
public key in the key manifest (manifest sign --ack-key).

FILE is written in minisign's passphrase-encrypted format (stock
"minisign -S -s FILE" can use it), created with mode 0600, never
overwritten, and there only once complete (Ctrl-C or SIGTERM leaves none,
and exits 130). Standard output carries only the public key ("RW…"). The
passphrase must be at least 12 characters long.

Flags:
    -o FILE                 the encrypted key file to create (required)
    --passphrase-file F     read the passphrase from the first line of F
                            instead of asking twice at the terminal

Examples:
    $ refuge-officer ackkey -o ack.key > ack.pub
    $ refuge-officer manifest sign --root-key root.key \
          --recipient "$(cat officer.pub)" --ack-key "$(cat ack.pub)" \
          --version 2 --expires 2027-06-30 -o manifest-v2.json
    $ minisign -Vm outbox/acks/<submission id>.json -P "$(cat ack.pub)"`

func cmdAckkey(e *env, args []string) error {
	return e.makeSigningKey(args, signingKeyKind{
		cmd: "ackkey", help: ackkeyHelp, what: "acknowledgement key", passphraseLabel: "new acknowledgement key",
		hint: func(file, pub string) string {
			return "list " + pub + ` in the key manifest with "manifest sign --ack-key"`
		},
	})
}
