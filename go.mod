module github.com/wxmaterial/wxmaterial

go 1.25.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/hashicorp/go-retryablehttp v0.7.8
	golang.org/x/sync v0.19.0
)

require github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
