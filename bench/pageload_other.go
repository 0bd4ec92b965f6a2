//go:build !unix

package main

import "errors"

func runPageLoad(options, string, string, string) error {
	return errors.New("the pageload group runs on Linux and macOS only")
}
