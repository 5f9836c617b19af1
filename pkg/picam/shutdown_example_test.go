package picam_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
)

// Shutdown closes the camera whatever its callbacks do, and waits for a
// callback still running only as long as the context allows. A callback
// that blocks is named in the error; once it returns, Close finishes the
// cleanup.
func ExampleCamera_Shutdown() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	running, release := make(chan struct{}), make(chan struct{})
	cam.SetPostCallback(func(*picam.CompletedRequest) {
		select {
		case running <- struct{}{}:
			<-release // application code that blocks
		default:
		}
	})
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	<-running

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = cam.Shutdown(ctx)
	var stuck *picam.CallbackStuckError
	fmt.Println("stuck:", errors.As(err, &stuck), stuck.Where)

	close(release)
	fmt.Println("closed:", cam.Close())
	// Output:
	// stuck: true post-callback
	// closed: <nil>
}
