package picam

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEShowsExample: the README's first program is the package's
// Example, which the tests compile and run, so the README's code builds.
func TestREADMEShowsExample(t *testing.T) {
	src, err := os.ReadFile("example_readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(src), "func Example() {\n")
	body, _, ok2 := strings.Cut(body, "\n}\n")
	if !ok || !ok2 {
		t.Fatal("example_readme_test.go has no func Example")
	}
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "// Output:") {
			continue
		}
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	want := strings.Join(lines, "\n")
	if !strings.Contains(string(readme), "```go\n"+want+"\n```") {
		t.Errorf("README.md does not show Example's code; its first Go block should be:\n```go\n%s\n```", want)
	}
}
