package main

func cmdReplies(e *env, args []string) error { return failf("not implemented yet") }
