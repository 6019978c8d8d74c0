package store

// Windows cannot open a directory to flush it; NTFS journals its metadata,
// so renames and creations survive a crash once the files are flushed.
// refuge-server is meant for Linux; this keeps it building elsewhere.
const canSyncDir = false
