package main

func cmdCourier(e *env, args []string) error { return failf("not implemented yet") }
