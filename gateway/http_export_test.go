package gateway

// Exported for the black-box tests of the HTTP API's paths.
var (
	PathToRID       = pathToRID
	PathToRIDMethod = pathToRIDMethod
	RIDToPath       = ridToPath
)
