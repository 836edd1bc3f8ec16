package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO: replaced by the real command.
func newListenCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "listen", RunE: func(*cobra.Command, []string) error { return errors.New("not implemented yet") }}
}
