package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/tui"
)

// floorName is the floor program's name in the results.
const floorName = "floor"

// floorBanner is what the floor program shows; its screen is complete
// once the banner is on it.
const floorBanner = "bubbletea floor"

// floorModel is a bubbletea v2 program that draws one full screen and
// then does nothing: no ticks, no input, no commands. What it costs idle
// is what bubbletea's renderer costs at the frame rate, the floor under
// any console built on it.
type floorModel struct{ width, height int }

func (m floorModel) Init() tea.Cmd { return nil }

func (m floorModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.KeyPressMsg:
		if msg.String() == "q" || msg.String() == "ctrl+c" {
			return m, tea.Quit
		}
	}
	return m, nil
}

func (m floorModel) View() tea.View {
	line := fmt.Sprintf("%s · %d fps · idle", floorBanner, tui.FPS)
	rows := make([]string, max(1, m.height))
	rows[0] = line
	for i := 1; i < len(rows); i++ {
		rows[i] = strings.Repeat("·", max(0, m.width))
	}
	v := tea.NewView(strings.Join(rows, "\n"))
	v.AltScreen = true
	return v
}

// floorCmd runs the floor program on the terminal until q.
func floorCmd(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := tea.NewProgram(floorModel{}, tea.WithFPS(tui.FPS)).Run(); err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	return nil
}

// floorTool is the floor program (this executable's floor command),
// measured like the consoles. It ignores the cluster.
func floorTool() (tool, error) {
	self, err := os.Executable()
	if err != nil {
		return tool{}, fmt.Errorf("-floor: %w", err)
	}
	return tool{
		name: floorName, bin: self,
		args:     func(string) []string { return []string{"floor"} },
		complete: func(screen string, _ int) bool { return strings.Contains(screen, floorBanner) },
	}, nil
}
