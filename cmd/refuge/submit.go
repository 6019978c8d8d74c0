package main

func cmdSubmit(e *env, args []string) error { return failf("not implemented yet") }
