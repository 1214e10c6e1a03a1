package work

// WithChunkSize exports withChunkSize to the tests.
var WithChunkSize = withChunkSize
