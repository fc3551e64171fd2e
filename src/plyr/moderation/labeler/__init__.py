"""plyr's AT Protocol labeler: its identity (DID + secp256k1 key), signed labels and
negations, `com.atproto.label.queryLabels` / `subscribeLabels`, and the labels it honours
from others (creators' self-labels, the labelers in `PLYR_LABELERS`)."""
