//go:build !unix

package main

// openNoBlock is 0 where O_NONBLOCK is missing: openEntry still refuses a
// file that is not a regular one before opening it.
const openNoBlock = 0
