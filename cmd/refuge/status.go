package main

func cmdStatus(e *env, args []string) error { return failf("not implemented yet") }
