// Package secrets keeps secrets — passphrases, receipt phrases and the
// plaintext of private key files — out of swap, core dumps and long-lived
// memory, and reads them at a terminal without echo. Secret files are
// written by package refuge/internal/noreplace (WriteFile: mode 0600, only
// complete, never over a file), which holds no secret itself.
//
// # Guarantees
//
//   - [Init] disables core dumps (RLIMIT_CORE=0 and PR_SET_DUMPABLE=0, on top of memguard's own
//     setting) and checks that the process may lock memory before any secret
//     is read, so a low memlock limit gives [ErrMemlock] instead of a panic
//     from memguard. It also wipes every memguard buffer on interrupt
//     ([CatchInterrupt]).
//   - On Linux and the BSDs, a prompt ([ReadSecretLine], under
//     [ReadPassphrase]) does not leave the terminal without echo: echo is
//     back before it returns, and Ctrl-C or SIGTERM while it waits restores
//     the terminal, drops what was typed of the line and returns an
//     [*InterruptedError], so that the program winds down, wipes its
//     secrets and exits. (SIGKILL cannot be caught: "stty sane" mends the
//     terminal then.)
//   - Outside a prompt, Ctrl-C wipes every memguard buffer and exits with
//     status 1, except while a command runs [Interruptible]: Ctrl-C or
//     SIGTERM then ends its context, and the command winds down (partial
//     output removed, what was finished kept, a message), wipes its
//     secrets and exits; a second signal wipes them and exits at once.
//   - Passphrases ([ReadPassphrase]) live in memguard buffers (locked,
//     guarded, wiped on Destroy); an empty passphrase is refused.
//
// # Limits
//
// The libraries that use a secret (age, minisign) take Go strings or build
// Go values from it, so a copy lives on the Go heap while it is in use; the
// garbage collector does not wipe it. The terminal reader also briefly holds
// the passphrase on the heap before it is moved into a locked buffer. See
// SECURITY.md.
package secrets
