// Package bundle seals and opens Refuge bundles: a POSIX tar stream of the
// sender's files, an optional note and referral, and a manifest.json listing
// every entry with its size and SHA-256, zero-padded to a Padmé size bucket and
// encrypted with age to post-quantum (age1pq1, "mlkem768x25519") recipients.
//
// A bundle is a plain age file: an officer who has lost every Refuge tool can
// still run stock "age -d -i officer.key bundle.age | tar x". The format is
// documented in docs/bundle.md.
//
// # Guarantees
//
// [Seal] streams: memory does not grow with the size of the input. It encrypts
// only to [*age.HybridRecipient] values, and two bundles whose contents differ
// by a few hundred bytes usually have the same length (see [PaddedSize]).
//
// [Open] refuses any bundle whose header holds a stanza that is not
// post-quantum, never writes outside its output directory, never creates links,
// devices or other special files, and moves the extracted files to
// OUTDIR/<submission id>/ only after the whole age stream authenticated and
// every entry matched manifest.json. On any failure it removes what it staged:
// nothing half-written is left behind and nothing existing is changed.
//
// The partner signature (manifest.json.minisig) is not verified here: [Open]
// returns the raw manifest.json and signature bytes so the caller can verify
// them against the partner keys of the verified key manifest.
package bundle
