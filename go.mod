module github.com/wxmaterial/wxmaterial

go 1.25.0

require (
	github.com/google/go-cmp v0.7.0
	golang.org/x/sync v0.19.0
)
