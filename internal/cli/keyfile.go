package cli

import (
	"flag"
	"os"
)

// KeyFile is the command line of a command that makes one key file
// ("refuge partnerkey", "refuge-officer keygen", rootkey, ackkey):
// -o FILE [--passphrase-file F], and no arguments.
type KeyFile struct {
	Out            string // -o FILE: the key file to create
	PassphraseFile string // --passphrase-file F; "" asks at the terminal
}

// ParseKeyFile adds -o and --passphrase-file to fs and parses args with it
// (Parse). It refuses an argument and a missing -o with a usage error for
// the command named fs.Name(), and an -o FILE that already exists with an
// ExitFailure: before any passphrase is asked, though the file is still
// to be created exclusively, since one may appear in the meantime.
func ParseKeyFile(fs *flag.FlagSet, args []string) (KeyFile, error) {
	var k KeyFile
	fs.StringVar(&k.Out, "o", "", "the key file to create")
	fs.StringVar(&k.PassphraseFile, "passphrase-file", "", "read the passphrase from this file's first line")
	pos, err := Parse(fs, args)
	if err != nil {
		return KeyFile{}, err
	}
	if len(pos) > 0 {
		return KeyFile{}, Usagef(fs.Name(), "unexpected argument %q", pos[0])
	}
	if k.Out == "" {
		return KeyFile{}, Usagef(fs.Name(), "missing -o FILE")
	}
	if _, err := os.Lstat(k.Out); err == nil {
		return KeyFile{}, Errorf(ExitFailure, "%s already exists; refusing to overwrite a key", k.Out).
			Hint("choose another -o file, or move the old key away yourself")
	}
	return k, nil
}
