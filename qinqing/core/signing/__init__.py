"""Signed and sealed PDF records (PAdES, pyHanko): the platform's certificate authority
(`pki`), the signer backends (`backends`: keys sealed under the data keys, or a PKCS#11 token),
the round red seal image (`seal_image`), signing and reading the signatures of a PDF (`pdf`),
and the public page of the CA (`views`). docs/signatures.md explains the trust model."""
