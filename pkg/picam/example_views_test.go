package picam_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/picamgo/picamgo/pkg/picam"
)

// A frame kept past Release is a copy; a view read after Release shows a
// later frame. Run with PICAMGO_CHECK=views to have such reads reported:
// Image (and every call that returns an error) then returns a
// *StaleViewError naming where the request was captured and released.
func ExampleStaleViewError() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if _, err := cam.Configure(cam.PreviewConfiguration()); err != nil {
		log.Fatal(err)
	}
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	r, err := cam.CaptureRequest(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	view, err := r.Frame(picam.Main)
	if err != nil {
		log.Fatal(err)
	}
	kept := view.Clone() // owns its memory: valid after Release
	r.Release()

	// A bug: the view is read after Release.
	if _, err := view.Image(); err != nil {
		var stale *picam.StaleViewError
		if errors.As(err, &stale) {
			log.Printf("view captured at %s used after release at %s", stale.CapturedAt, stale.ReleasedAt)
		}
	}
	fmt.Println(kept.Mapped, kept.Len() == view.Len())
	// Output: false true
}
