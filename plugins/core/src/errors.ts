// The core plugin's own error codes (documented in docs/errors.md under @weft/plugin-core).
export const CoreErrorCode = {
  /** `approval.request` resumed without a valid `{ decision, by, comment? }`. */
  ApprovalDecisionInvalid: "WEFT_E_APPROVAL_DECISION_INVALID",
  /** `approval.request` expired before anyone decided (resumed with `{ decision: "expired" }`). */
  ApprovalExpired: "WEFT_E_APPROVAL_EXPIRED",
  /** `condition.if`'s condition evaluated to a non-boolean. */
  ConditionNotBoolean: "WEFT_E_CONDITION_NOT_BOOLEAN",
} as const;
