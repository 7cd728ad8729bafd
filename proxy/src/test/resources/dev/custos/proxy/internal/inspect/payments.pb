
§
payments.protocustos.test"6
Card
number (	Rnumber
holder (	Rholder"Ð
Payment
note (	Rnote%
card (2.custos.test.CardRcard
padding (	Rpadding
tags (	Rtags
amounts (Ramounts8
labels (2 .custos.test.Payment.LabelsEntryRlabels0
audit (2.custos.test.Payment.AuditRaudit9
LabelsEntry
key (	Rkey
value (	Rvalue:8
Audit
blob (Rblob2u
Payments1
Pay.custos.test.Payment.custos.test.Payment6
Chat.custos.test.Payment.custos.test.Payment(0bproto3