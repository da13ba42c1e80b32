package session

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// REPL runs an interactive chat: it reads user turns from in, streams answers
// to out, and handles commands (/bye, /set, /clear, /help). A turn wrapped in
// """ spans several lines. interrupt delivers Ctrl-C: during generation it
// stops the answer and returns to the prompt; at the prompt it prints a hint.
func REPL(ctx context.Context, c *Chat, in io.Reader, out io.Writer, interrupt <-chan struct{}) error {
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for sc.Scan() {
			lines <- sc.Text()
		}
		readErr <- sc.Err()
		close(lines)
	}()
	prompt := func() { fmt.Fprint(out, ">>> ") }
	fmt.Fprintf(out, "Chatting with %s. Type /help for commands, /bye to leave.\n", c.L.Name)
	prompt()
	var multi []string
	inMulti := false
	for {
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-interrupt:
			fmt.Fprintln(out, "\nUse /bye or Ctrl-D to leave.")
			multi, inMulti = nil, false
			prompt()
			continue
		case line, ok = <-lines:
		}
		if !ok {
			fmt.Fprintln(out)
			if err := <-readErr; err != nil {
				return err
			}
			return nil
		}
		if inMulti {
			if strings.HasSuffix(strings.TrimSpace(line), `"""`) {
				multi = append(multi, strings.TrimSuffix(strings.TrimSpace(line), `"""`))
				line, inMulti = strings.Join(multi, "\n"), false
				multi = nil
			} else {
				multi = append(multi, line)
				fmt.Fprint(out, "... ")
				continue
			}
		} else if t := strings.TrimSpace(line); strings.HasPrefix(t, `"""`) {
			rest := strings.TrimPrefix(t, `"""`)
			if strings.HasSuffix(rest, `"""`) && len(rest) >= 3 {
				line = strings.TrimSuffix(rest, `"""`)
			} else {
				multi, inMulti = []string{rest}, true
				fmt.Fprint(out, "... ")
				continue
			}
		} else if strings.HasPrefix(t, "/") {
			done, err := command(c, t, out)
			if err != nil {
				fmt.Fprintln(out, "error:", err)
			}
			if done {
				return nil
			}
			prompt()
			continue
		}
		if strings.TrimSpace(line) == "" {
			prompt()
			continue
		}
		genCtx, cancel := context.WithCancel(ctx)
		stop := make(chan struct{})
		go func() {
			select {
			case <-interrupt:
				cancel()
			case <-stop:
			}
		}()
		_, err := c.Send(genCtx, line, out)
		close(stop)
		cancel()
		switch {
		case errors.Is(err, context.Canceled) && ctx.Err() == nil:
			fmt.Fprintln(out, "\n[stopped]")
		case err != nil:
			fmt.Fprintln(out, "\nerror:", err)
		default:
			fmt.Fprintln(out)
		}
		prompt()
	}
}

const help = `Commands:
  /set temperature X   sampling temperature (0 = greedy)
  /set top_k N | top_p X | min_p X | seed N | num_predict N
  /set system TEXT     system prompt (clears the conversation)
  /clear               forget the conversation
  /bye                 leave
Wrap a message in """ to write several lines.`

// command handles one slash command; done reports /bye.
func command(c *Chat, line string, out io.Writer) (done bool, err error) {
	f := strings.Fields(line)
	switch f[0] {
	case "/bye", "/exit", "/quit":
		return true, nil
	case "/help", "/?":
		fmt.Fprintln(out, help)
	case "/clear":
		c.Messages = nil
		fmt.Fprintln(out, "Conversation cleared.")
	case "/set":
		if len(f) < 3 {
			return false, fmt.Errorf("usage: /set NAME VALUE")
		}
		val := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, f[0]), " "+f[1]))
		p := &c.Options.Sampling
		num := func() (float64, error) { return strconv.ParseFloat(val, 64) }
		var x float64
		switch f[1] {
		case "system":
			c.System, c.Messages = val, nil
		case "temperature":
			if x, err = num(); err == nil && x >= 0 {
				p.Temperature = float32(x)
			}
		case "top_k":
			if x, err = num(); err == nil {
				p.TopK = int(x)
			}
		case "top_p":
			if x, err = num(); err == nil {
				p.TopP = float32(x)
			}
		case "min_p":
			if x, err = num(); err == nil {
				p.MinP = float32(x)
			}
		case "seed":
			if x, err = num(); err == nil {
				p.Seed = uint64(x)
			}
		case "num_predict":
			if x, err = num(); err == nil {
				c.Options.MaxTokens = int(x)
			}
		default:
			return false, fmt.Errorf("unknown setting %q (see /help)", f[1])
		}
		if err != nil {
			return false, fmt.Errorf("/set %s: %q is not a number", f[1], val)
		}
		fmt.Fprintf(out, "Set %s to %s.\n", f[1], val)
	default:
		return false, fmt.Errorf("unknown command %s (see /help)", f[0])
	}
	return false, nil
}
