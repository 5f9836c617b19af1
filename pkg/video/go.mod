module github.com/picamgo/picamgo/pkg/video

go 1.26.0

replace github.com/picamgo/picamgo => ../..
