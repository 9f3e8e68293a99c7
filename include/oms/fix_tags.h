/*
 * fix_tags.h - the FIX 4.4 vocabulary this tree speaks: one table of field
 * tags and one of message types, each the single source of its constants
 * and of the name lookups used by logs and golden files.
 *
 * Every tag the code reads or writes is a row (Name, number, TYPE), with the
 * name, number and data type of the FIX 4.4 data dictionary (QuickFIX's
 * FIX44.xml spells them the same way), and becomes the constant
 * OMS_FIX_TAG_<Name>. Nothing in src/fix or src/gateway writes a tag as a
 * bare number (tests/unit/fix/test_tags.c keeps it so, and checks the names
 * and numbers against QuickFIX's field list when it is installed). A row is
 * added when the code needs a new tag; the rows stay in tag order so the
 * table reads like the dictionary and can be generated from it or compared
 * with it line by line.
 *
 * Message types are rows (Name, "MsgType", category), with the dictionary's
 * msgcat: admin messages are the session layer's own, app messages go to the
 * application. Each gives the string constant OMS_FIX_MSG_<Name>.
 */
#ifndef OMS_FIX_TAGS_H
#define OMS_FIX_TAGS_H

#include <stddef.h>
#include <stdint.h>

#include "oms/common.h"

OMS_BEGIN_DECLS

/* XX(Name, tag number, FIX 4.4 data type), in tag order. */
#define OMS_FIX_TAG_MAP(XX)                  \
  XX(Account, 1, STRING)                     \
  XX(AvgPx, 6, PRICE)                        \
  XX(BeginSeqNo, 7, SEQNUM)                  \
  XX(BeginString, 8, STRING)                 \
  XX(BodyLength, 9, LENGTH)                  \
  XX(CheckSum, 10, STRING)                   \
  XX(ClOrdID, 11, STRING)                    \
  XX(Commission, 12, AMT)                    \
  XX(CumQty, 14, QTY)                        \
  XX(EndSeqNo, 16, SEQNUM)                   \
  XX(ExecID, 17, STRING)                     \
  XX(ExecInst, 18, MULTIPLEVALUESTRING)      \
  XX(ExecRefID, 19, STRING)                  \
  XX(LastPx, 31, PRICE)                      \
  XX(LastQty, 32, QTY)                       \
  XX(MsgSeqNum, 34, SEQNUM)                  \
  XX(MsgType, 35, STRING)                    \
  XX(NewSeqNo, 36, SEQNUM)                   \
  XX(OrderID, 37, STRING)                    \
  XX(OrderQty, 38, QTY)                      \
  XX(OrdStatus, 39, CHAR)                    \
  XX(OrdType, 40, CHAR)                      \
  XX(OrigClOrdID, 41, STRING)                \
  XX(PossDupFlag, 43, BOOLEAN)               \
  XX(Price, 44, PRICE)                       \
  XX(RefSeqNum, 45, SEQNUM)                  \
  XX(SenderCompID, 49, STRING)               \
  XX(SenderSubID, 50, STRING)                \
  XX(SendingTime, 52, UTCTIMESTAMP)          \
  XX(Side, 54, CHAR)                         \
  XX(Symbol, 55, STRING)                     \
  XX(TargetCompID, 56, STRING)               \
  XX(TargetSubID, 57, STRING)                \
  XX(Text, 58, STRING)                       \
  XX(TimeInForce, 59, CHAR)                  \
  XX(TransactTime, 60, UTCTIMESTAMP)         \
  XX(ListID, 66, STRING)                     \
  XX(ListSeqNo, 67, INT)                     \
  XX(TotNoOrders, 68, INT)                   \
  XX(NoOrders, 73, NUMINGROUP)               \
  XX(NoAllocs, 78, NUMINGROUP)               \
  XX(AllocAccount, 79, STRING)               \
  XX(AllocQty, 80, QTY)                      \
  XX(NoRpts, 82, INT)                        \
  XX(RptSeq, 83, INT)                        \
  XX(CxlQty, 84, QTY)                        \
  XX(Signature, 89, DATA)                    \
  XX(SecureDataLen, 90, LENGTH)              \
  XX(SecureData, 91, DATA)                   \
  XX(SignatureLength, 93, LENGTH)            \
  XX(RawDataLength, 95, LENGTH)              \
  XX(RawData, 96, DATA)                      \
  XX(PossResend, 97, BOOLEAN)                \
  XX(EncryptMethod, 98, INT)                 \
  XX(StopPx, 99, PRICE)                      \
  XX(ExDestination, 100, EXCHANGE)           \
  XX(CxlRejReason, 102, INT)                 \
  XX(OrdRejReason, 103, INT)                 \
  XX(HeartBtInt, 108, INT)                   \
  XX(TestReqID, 112, STRING)                 \
  XX(OnBehalfOfCompID, 115, STRING)          \
  XX(OnBehalfOfSubID, 116, STRING)           \
  XX(OrigSendingTime, 122, UTCTIMESTAMP)     \
  XX(GapFillFlag, 123, BOOLEAN)              \
  XX(ExpireTime, 126, UTCTIMESTAMP)          \
  XX(DeliverToCompID, 128, STRING)           \
  XX(DeliverToSubID, 129, STRING)            \
  XX(NoMiscFees, 136, NUMINGROUP)            \
  XX(MiscFeeAmt, 137, AMT)                   \
  XX(MiscFeeCurr, 138, CURRENCY)             \
  XX(MiscFeeType, 139, CHAR)                 \
  XX(ResetSeqNumFlag, 141, BOOLEAN)          \
  XX(SenderLocationID, 142, STRING)          \
  XX(TargetLocationID, 143, STRING)          \
  XX(OnBehalfOfLocationID, 144, STRING)      \
  XX(DeliverToLocationID, 145, STRING)       \
  XX(NoRelatedSym, 146, NUMINGROUP)          \
  XX(ExecType, 150, CHAR)                    \
  XX(LeavesQty, 151, QTY)                    \
  XX(XmlDataLen, 212, LENGTH)                \
  XX(XmlData, 213, DATA)                     \
  XX(NoStipulations, 232, NUMINGROUP)        \
  XX(StipulationType, 233, STRING)           \
  XX(StipulationValue, 234, STRING)          \
  XX(MDReqID, 262, STRING)                   \
  XX(SubscriptionRequestType, 263, CHAR)     \
  XX(MarketDepth, 264, INT)                  \
  XX(MDUpdateType, 265, INT)                 \
  XX(NoMDEntryTypes, 267, NUMINGROUP)        \
  XX(NoMDEntries, 268, NUMINGROUP)           \
  XX(MDEntryType, 269, CHAR)                 \
  XX(MDEntryPx, 270, PRICE)                  \
  XX(MDEntrySize, 271, QTY)                  \
  XX(MDUpdateAction, 279, CHAR)              \
  XX(MDReqRejReason, 281, CHAR)              \
  XX(MDEntryPositionNo, 290, INT)            \
  XX(TradingSessionID, 336, STRING)          \
  XX(ContraTrader, 337, STRING)              \
  XX(MessageEncoding, 347, STRING)           \
  XX(EncodedIssuerLen, 348, LENGTH)          \
  XX(EncodedIssuer, 349, DATA)               \
  XX(EncodedSecurityDescLen, 350, LENGTH)    \
  XX(EncodedSecurityDesc, 351, DATA)         \
  XX(EncodedListExecInstLen, 352, LENGTH)    \
  XX(EncodedListExecInst, 353, DATA)         \
  XX(EncodedTextLen, 354, LENGTH)            \
  XX(EncodedText, 355, DATA)                 \
  XX(LastMsgSeqNumProcessed, 369, SEQNUM)    \
  XX(RefTagID, 371, INT)                     \
  XX(RefMsgType, 372, STRING)                \
  XX(SessionRejectReason, 373, INT)          \
  XX(ContraBroker, 375, STRING)              \
  XX(ExecRestatementReason, 378, INT)        \
  XX(BusinessRejectRefID, 379, STRING)       \
  XX(BusinessRejectReason, 380, INT)         \
  XX(NoContraBrokers, 382, NUMINGROUP)       \
  XX(NoMsgTypes, 384, NUMINGROUP)            \
  XX(MsgDirection, 385, CHAR)                \
  XX(NoTradingSessions, 386, NUMINGROUP)     \
  XX(BidType, 394, INT)                      \
  XX(ListStatusType, 429, INT)               \
  XX(ListOrderStatus, 431, INT)              \
  XX(CxlRejResponseTo, 434, CHAR)            \
  XX(ContraTradeQty, 437, QTY)               \
  XX(ContraTradeTime, 438, UTCTIMESTAMP)     \
  XX(ListStatusText, 444, STRING)            \
  XX(EncodedListStatusTextLen, 445, LENGTH)  \
  XX(EncodedListStatusText, 446, DATA)       \
  XX(PartyIDSource, 447, CHAR)               \
  XX(PartyID, 448, STRING)                   \
  XX(PartyRole, 452, INT)                    \
  XX(NoPartyIDs, 453, NUMINGROUP)            \
  XX(NoSecurityAltID, 454, NUMINGROUP)       \
  XX(SecurityAltID, 455, STRING)             \
  XX(SecurityAltIDSource, 456, STRING)       \
  XX(IndividualAllocID, 467, STRING)         \
  XX(PartySubID, 523, STRING)                \
  XX(NestedPartyID, 524, STRING)             \
  XX(NestedPartyIDSource, 525, CHAR)         \
  XX(MassCancelRequestType, 530, CHAR)       \
  XX(MassCancelResponse, 531, CHAR)          \
  XX(MassCancelRejectReason, 532, INT)       \
  XX(TotalAffectedOrders, 533, INT)          \
  XX(NoAffectedOrders, 534, NUMINGROUP)      \
  XX(AffectedOrderID, 535, STRING)           \
  XX(AffectedSecondaryOrderID, 536, STRING)  \
  XX(NestedPartyRole, 538, INT)              \
  XX(NoNestedPartyIDs, 539, NUMINGROUP)      \
  XX(NestedPartySubID, 545, STRING)          \
  XX(Username, 553, STRING)                  \
  XX(Password, 554, STRING)                  \
  XX(MassStatusReqID, 584, STRING)           \
  XX(MassStatusReqType, 585, INT)            \
  XX(EncodedLegIssuerLen, 618, LENGTH)       \
  XX(EncodedLegIssuer, 619, DATA)            \
  XX(EncodedLegSecurityDescLen, 621, LENGTH) \
  XX(EncodedLegSecurityDesc, 622, DATA)      \
  XX(TradingSessionSubID, 625, STRING)       \
  XX(NoHops, 627, NUMINGROUP)                \
  XX(HopCompID, 628, STRING)                 \
  XX(HopSendingTime, 629, UTCTIMESTAMP)      \
  XX(HopRefID, 630, SEQNUM)                  \
  XX(ContraLegRefID, 655, STRING)            \
  XX(AllocAcctIDSource, 661, INT)            \
  XX(AllocSettlCurrency, 736, CURRENCY)      \
  XX(OrdStatusReqID, 790, STRING)            \
  XX(NoPartySubIDs, 802, NUMINGROUP)         \
  XX(PartySubIDType, 803, INT)               \
  XX(NoNestedPartySubIDs, 804, NUMINGROUP)   \
  XX(NestedPartySubIDType, 805, INT)         \
  XX(LastLiquidityInd, 851, INT)             \
  XX(MiscFeeBasis, 891, INT)                 \
  XX(TotNumReports, 911, INT)                \
  XX(LastRptRequested, 912, BOOLEAN)

typedef enum oms_fix_tag_e {
#define OMS_FIX_TAG_ENUM(name, num, type) OMS_FIX_TAG_##name = (num),
  OMS_FIX_TAG_MAP(OMS_FIX_TAG_ENUM)
#undef OMS_FIX_TAG_ENUM
} oms_fix_tag_t;

/* "ClOrdID" for 11; NULL for a tag that is not in the table. */
OMS_EXTERN const char *oms_fix_tag_name(uint32_t tag);
/* The FIX data type of tag as the dictionary writes it ("STRING", "QTY",
 * ...); NULL for a tag that is not in the table. */
OMS_EXTERN const char *oms_fix_tag_type(uint32_t tag);
/* The tag called name ("ClOrdID"), or 0 when no row has that name. */
OMS_EXTERN uint32_t oms_fix_tag_by_name(const char *name);

/* XX(Name, MsgType, category): ADMIN for the session layer, APP otherwise. */
#define OMS_FIX_MSG_TYPE_MAP(XX)              \
  XX(Heartbeat, "0", ADMIN)                   \
  XX(TestRequest, "1", ADMIN)                 \
  XX(ResendRequest, "2", ADMIN)               \
  XX(Reject, "3", ADMIN)                      \
  XX(SequenceReset, "4", ADMIN)               \
  XX(Logout, "5", ADMIN)                      \
  XX(ExecutionReport, "8", APP)               \
  XX(OrderCancelReject, "9", APP)             \
  XX(Logon, "A", ADMIN)                       \
  XX(OrderMassStatusRequest, "AF", APP)       \
  XX(NewOrderSingle, "D", APP)                \
  XX(NewOrderList, "E", APP)                  \
  XX(OrderCancelRequest, "F", APP)            \
  XX(OrderCancelReplaceRequest, "G", APP)     \
  XX(OrderStatusRequest, "H", APP)            \
  XX(ListCancelRequest, "K", APP)             \
  XX(ListStatusRequest, "M", APP)             \
  XX(ListStatus, "N", APP)                    \
  XX(MarketDataRequest, "V", APP)             \
  XX(MarketDataSnapshotFullRefresh, "W", APP) \
  XX(MarketDataIncrementalRefresh, "X", APP)  \
  XX(MarketDataRequestReject, "Y", APP)       \
  XX(BusinessMessageReject, "j", APP)         \
  XX(OrderMassCancelRequest, "q", APP)        \
  XX(OrderMassCancelReport, "r", APP)

/* OMS_FIX_MSG_NewOrderSingle is "D": arrays rather than macros so that the
 * table above stays the only place that spells a MsgType. */
#define OMS_FIX_MSG_CONST(name, type, cat) static const char OMS_FIX_MSG_##name[] = type;
OMS_FIX_MSG_TYPE_MAP(OMS_FIX_MSG_CONST)
#undef OMS_FIX_MSG_CONST

/* "NewOrderSingle" for "D"; NULL for a MsgType that is not in the table.
 * type need not be NUL-terminated. */
OMS_EXTERN const char *oms_fix_msg_type_name(const char *type, size_t len);
/* 1 for the session layer's message types (Heartbeat, TestRequest,
 * ResendRequest, Reject, SequenceReset, Logout, Logon), 0 otherwise. */
OMS_EXTERN int oms_fix_msg_type_is_admin(const char *type, size_t len);

OMS_END_DECLS

#endif /* OMS_FIX_TAGS_H */
