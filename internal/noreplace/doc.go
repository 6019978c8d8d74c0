// Package noreplace writes files, and moves files and folders into place,
// without ever replacing what is already at the name, so that a file or a
// folder appears only complete and durable.
//
//   - [WriteFile] and [WriteNew] write a new file: they fill a temporary
//     file in the same folder (created exclusively, a random name beginning
//     with [PartialPrefix]), fsync it, put it in place with a rename that
//     never replaces (renameat2 RENAME_NOREPLACE on Linux, renamex_np
//     RENAME_EXCL on macOS, MoveFileEx without MOVEFILE_REPLACE_EXISTING on
//     Windows, a hard link elsewhere), and fsync the folder. An existing
//     name gives an error that wraps [ErrExists]; a failure, or a context
//     that ends, leaves nothing; a kill or a power loss may leave the
//     temporary file, which is never taken for the file itself.
//   - [Rename] moves a file or a folder to a name that must not exist:
//     atomic on Linux, a check then a rename elsewhere (see its limits).
//   - [SyncDir] fsyncs a folder, so that a name created or renamed in it
//     survives a crash (nothing on Windows, which cannot).
//
// It holds no secret and imports no memory-locking library, so that
// packages without secrets (the client) can use it.
package noreplace
