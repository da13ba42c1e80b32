package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/nuri-ai/nuri/auth"
	"github.com/nuri-ai/nuri/store"
)

// The account commands' database flags (see databaseFlags).
var userDB, userDataDir string

func init() {
	userCmd := &cobra.Command{
		Use:   "user",
		Short: "Manage accounts and API keys of the server",
		Long: `Manage the accounts that may log in to the web page and use the APIs.

While no account exists, "nuri serve" answers only this machine, without a
login. Once one exists, every page and API needs a session or an API key.
Passwords are read from the terminal without echo, or as one line from
standard input when it is not a terminal.

The commands work on the same database as "nuri serve": --database-url or
NURI_DATABASE_URL, else SQLite in --data-dir or NURI_DATA_DIR, else in
$XDG_DATA_HOME/nuri or ~/.local/share/nuri.`,
	}
	databaseFlags(userCmd.PersistentFlags(), &userDB, &userDataDir)

	var admin bool
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Create an account",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAccounts(cmd, func(ctx context.Context, svc *auth.Service, st store.Store) error {
				pw, err := readNewPassword(cmd, args[0])
				if err != nil {
					return err
				}
				role := store.RoleUser
				if admin {
					role = store.RoleAdmin
				}
				u, err := svc.CreateUser(ctx, args[0], pw, role)
				if err != nil {
					return fmt.Errorf("add user %q: %w", args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created %s (%s)\n", u.Username, u.Role)
				return nil
			})
		},
	}
	add.Flags().BoolVar(&admin, "admin", false, "give the account the admin role (usage statistics, all settings)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAccounts(cmd, func(ctx context.Context, _ *auth.Service, st store.Store) error {
				users, err := st.ListUsers(ctx)
				if err != nil {
					return err
				}
				return printUsers(cmd.OutOrStdout(), users)
			})
		},
	}

	passwd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set an account's password (ends its sessions)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAccounts(cmd, func(ctx context.Context, svc *auth.Service, st store.Store) error {
				u, err := findUser(ctx, st, args[0])
				if err != nil {
					return err
				}
				pw, err := readNewPassword(cmd, u.Username)
				if err != nil {
					return err
				}
				if err := svc.SetPassword(ctx, u.ID, pw); err != nil {
					return fmt.Errorf("set password of %q: %w", u.Username, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "password of %s changed; its sessions are logged out\n", u.Username)
				return nil
			})
		},
	}

	rm := &cobra.Command{
		Use:   "rm NAME",
		Short: "Delete an account with its keys, sessions and conversations",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAccounts(cmd, func(ctx context.Context, _ *auth.Service, st store.Store) error {
				u, err := findUser(ctx, st, args[0])
				if err != nil {
					return err
				}
				if err := st.DeleteUser(ctx, u.ID); err != nil {
					return fmt.Errorf("delete user %q: %w", u.Username, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", u.Username)
				return nil
			})
		},
	}

	var keyName string
	var keyList bool
	var keyRevoke int64
	key := &cobra.Command{
		Use:   "key NAME",
		Short: "Create (default), list (--list) or revoke (--revoke ID) an account's API keys",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAccounts(cmd, func(ctx context.Context, svc *auth.Service, st store.Store) error {
				u, err := findUser(ctx, st, args[0])
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				switch {
				case keyList:
					keys, err := st.ListAPIKeys(ctx, u.ID)
					if err != nil {
						return err
					}
					return printKeys(out, keys)
				case keyRevoke != 0:
					if err := st.DeleteAPIKey(ctx, u.ID, keyRevoke); err != nil {
						return fmt.Errorf("revoke key %d of %q: %w", keyRevoke, u.Username, err)
					}
					fmt.Fprintf(out, "revoked key %d of %s\n", keyRevoke, u.Username)
					return nil
				}
				plain, k, err := svc.CreateAPIKey(ctx, u.ID, keyName)
				if err != nil {
					return fmt.Errorf("create key for %q: %w", u.Username, err)
				}
				fmt.Fprintln(out, plain)
				fmt.Fprintf(cmd.ErrOrStderr(), "key %d (%s…) for %s: shown once, store it now\n", k.ID, k.Prefix, u.Username)
				return nil
			})
		},
	}
	key.Flags().StringVar(&keyName, "name", "", "a label for the new key")
	key.Flags().BoolVar(&keyList, "list", false, "list the account's keys")
	key.Flags().Int64Var(&keyRevoke, "revoke", 0, "revoke the key with this id")
	key.MarkFlagsMutuallyExclusive("list", "revoke", "name")

	userCmd.AddCommand(add, list, passwd, rm, key)
	rootCmd.AddCommand(userCmd)
}

// withAccounts opens the database for one command.
func withAccounts(cmd *cobra.Command, f func(ctx context.Context, svc *auth.Service, st store.Store) error) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	url := resolveDatabaseURL(userDB, userDataDir)
	st, err := store.Open(ctx, url)
	if err != nil {
		return fmt.Errorf("open account database: %w", err)
	}
	defer st.Close()
	return f(ctx, auth.NewService(st, auth.Options{}), st)
}

func findUser(ctx context.Context, st store.Store, name string) (store.User, error) {
	n, err := auth.NormalizeUsername(name)
	if err != nil {
		return store.User{}, err
	}
	u, err := st.UserByName(ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("no account named %q (see nuri user list)", n)
	}
	return u, err
}

// readNewPassword asks twice on a terminal, or reads one line otherwise,
// and applies the password policy.
func readNewPassword(cmd *cobra.Command, name string) (string, error) {
	in := cmd.InOrStdin()
	var pw string
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		errOut := cmd.ErrOrStderr()
		fmt.Fprintf(errOut, "New password for %s: ", name)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(errOut)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(errOut, "Repeat it: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(errOut)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		pw = string(a)
	} else {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("read password from standard input: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if err := auth.CheckPassword(pw); err != nil {
		return "", err
	}
	return pw, nil
}

func printUsers(w io.Writer, users []store.User) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tSTATUS\tCREATED")
	for _, u := range users {
		status := "active"
		if u.Disabled {
			status = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, u.Role, status, u.CreatedAt.Local().Format(time.DateTime))
	}
	return tw.Flush()
}

func printKeys(w io.Writer, keys []store.APIKey) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tCREATED\tLAST USED")
	for _, k := range keys {
		used := "never"
		if !k.LastUsedAt.IsZero() {
			used = k.LastUsedAt.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s…\t%s\t%s\n", strconv.FormatInt(k.ID, 10), k.Name, k.Prefix, k.CreatedAt.Local().Format(time.DateTime), used)
	}
	return tw.Flush()
}
