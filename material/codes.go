package material

// codeInfo is what a platform code means to a client: the sentinels it
// matches, whether to retry it later, whether a new token fixes it.
type codeInfo struct {
	errs  []error
	retry bool
	token bool
}

func is(errs ...error) codeInfo { return codeInfo{errs: errs} }

var (
	sizeTooLarge = is(ErrTooLarge, ErrInvalidSize)
	tokenBad     = codeInfo{errs: []error{ErrUnauthorized}, token: true}
)

// sharedCodes hold the codes both platforms give the same meaning
// (docs/wire.md §7).
var sharedCodes = map[int]codeInfo{
	-1:    {errs: []error{ErrBusy}, retry: true},
	40006: is(ErrInvalidSize),
	40007: is(ErrNotFound),
	40009: sizeTooLarge,
	40011: sizeTooLarge,
	40013: is(ErrUnauthorized),
	40014: tokenBad,
	41001: is(ErrUnauthorized),
	41002: is(ErrUnauthorized, ErrInvalidInput),
	41004: is(ErrUnauthorized, ErrInvalidInput),
	41006: is(ErrInvalidInput),
	42001: tokenBad,
	44001: is(ErrEmpty, ErrInvalidSize),
	45001: sizeTooLarge,
	45007: is(ErrTooLong, ErrTooLarge, ErrInvalidSize),
	45009: is(ErrQuota),
}

// officialAccountCodes hold the Official Account's own codes and meanings.
var officialAccountCodes = map[int]codeInfo{
	40001: tokenBad, // invalid credential: wrong AppSecret, or a token that is invalid or not the latest
	40002: is(ErrInvalidInput),
	40004: is(ErrUnsupported, ErrInvalidInput), // invalid media type parameter
	40005: is(ErrInvalidFormat),
	40010: sizeTooLarge,
	40012: sizeTooLarge,
	40113: is(ErrInvalidFormat),
	40125: is(ErrUnauthorized),
	40137: is(ErrInvalidFormat),
	40164: is(ErrForbidden),
	40243: is(ErrUnauthorized),
	41005: is(ErrEmpty, ErrInvalidInput), // media data missing: no part "media", or no file name
	43001: is(ErrInvalidInput),
	43002: is(ErrInvalidInput),
	44002: is(ErrEmpty, ErrInvalidInput),
	45011: {errs: []error{ErrQuota, ErrBusy}, retry: true}, // per-minute quota: next minute
	45106: is(ErrUnsupported),
	46001: is(ErrNotFound),
	48001: is(ErrForbidden),
	50002: is(ErrForbidden),
	50004: is(ErrForbidden),
	50007: is(ErrForbidden),
	89503: is(ErrForbidden),
	89506: is(ErrForbidden),
	89507: is(ErrForbidden),
}

// weComCodes hold WeCom's own codes and meanings.
var weComCodes = map[int]codeInfo{
	40001:  tokenBad,                            // invalid secret at gettoken; treated as a rejected token on business calls
	40004:  is(ErrInvalidFormat),                // invalid media file type
	40005:  is(ErrUnsupported, ErrInvalidInput), // invalid type parameter
	40058:  is(ErrInvalidInput),
	40091:  is(ErrUnauthorized),
	41005:  is(ErrEmpty, ErrInvalidInput), // media data missing, as on the Official Account
	42009:  is(ErrUnauthorized),
	45002:  sizeTooLarge,
	45008:  is(ErrInvalidInput),
	45033:  {errs: []error{ErrBusy}, retry: true}, // concurrency limit
	48002:  is(ErrForbidden),
	50002:  is(ErrForbidden),
	60020:  is(ErrForbidden),
	301016: is(ErrInvalidFormat),
	301017: is(ErrInvalidFormat),
	301019: is(ErrChecksum),
	830001: is(ErrFetchFailed, ErrInvalidInput), // the URL is invalid or lacks Range support
	830003: is(ErrFetchFailed),                  // downloading the URL failed
}

func lookupCode(p Platform, code int) codeInfo {
	var own map[int]codeInfo
	switch p {
	case OfficialAccount:
		own = officialAccountCodes
	case WeCom:
		own = weComCodes
	}
	if ci, ok := own[code]; ok {
		return ci
	}
	return sharedCodes[code]
}

func statusInfo(status int) codeInfo {
	switch {
	case status == 429:
		return codeInfo{errs: []error{ErrBusy}, retry: true}
	case status == 412:
		return is(ErrInvalidInput) // the platforms refuse chunked uploads with 412
	case status == 501:
		return is(ErrUnsupported)
	case status >= 500:
		return codeInfo{errs: []error{ErrBusy}, retry: true}
	}
	return codeInfo{}
}
