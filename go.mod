module refuge

go 1.26.8

require (
	github.com/awnumar/memguard v0.23.0
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.48.0
)

require (
	github.com/awnumar/memcall v0.4.0 // indirect
	golang.org/x/crypto v0.55.0 // indirect
)
