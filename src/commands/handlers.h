// Declarations of every command handler; the table in command_table.cc refers to them.
#pragma once

#include "src/core/command.h"
#include "src/core/services.h"

namespace dkv::server {

#define DKV_HANDLER(name) void name(CommandContext& ctx, Args argv)
// CLIENT LIST's line for a session (client_commands.cc); ACL LOG keeps one per entry.
std::string ClientInfoLine(Services& services, const Session& s);
// Shows EVAL/EVALSHA/FCALL/FCALL_RO to MONITOR before the script runs (script_commands.cc).
void ShowScriptCallToMonitors(CommandContext& ctx, Args argv);
// Closes every subscriber whose user no longer may use one of its channels or patterns (after
// ACL SETUSER and ACL LOAD, as Redis 7; pubsub_commands.cc).
void DisconnectRevokedSubscribers(Services& services);
// connection
DKV_HANDLER(CmdPing);
DKV_HANDLER(CmdEcho);
DKV_HANDLER(CmdQuit);
DKV_HANDLER(CmdReset);
DKV_HANDLER(CmdSelect);
DKV_HANDLER(CmdAuth);
DKV_HANDLER(CmdHello);
DKV_HANDLER(CmdRole);
// client
DKV_HANDLER(CmdClientId);
DKV_HANDLER(CmdClientSetName);
DKV_HANDLER(CmdClientGetName);
DKV_HANDLER(CmdClientSetInfo);
DKV_HANDLER(CmdClientInfo);
DKV_HANDLER(CmdClientList);
DKV_HANDLER(CmdClientKill);
DKV_HANDLER(CmdClientNoEvict);
DKV_HANDLER(CmdClientNoTouchMode);
DKV_HANDLER(CmdClientReply);
DKV_HANDLER(CmdClientPause);
DKV_HANDLER(CmdClientUnpause);
DKV_HANDLER(CmdClientUnblock);
DKV_HANDLER(CmdClientGetRedir);
DKV_HANDLER(CmdClientHelp);
// pubsub
DKV_HANDLER(CmdSubscribe);
DKV_HANDLER(CmdUnsubscribe);
DKV_HANDLER(CmdPsubscribe);
DKV_HANDLER(CmdPunsubscribe);
DKV_HANDLER(CmdSsubscribe);
DKV_HANDLER(CmdSunsubscribe);
DKV_HANDLER(CmdPublish);
DKV_HANDLER(CmdSpublish);
DKV_HANDLER(CmdPubsubChannels);
DKV_HANDLER(CmdPubsubNumSub);
DKV_HANDLER(CmdPubsubNumPat);
DKV_HANDLER(CmdPubsubShardChannels);
DKV_HANDLER(CmdPubsubShardNumSub);
DKV_HANDLER(CmdPubsubHelp);
// strings
DKV_HANDLER(CmdGet);
DKV_HANDLER(CmdSet);
DKV_HANDLER(CmdSetNx);
DKV_HANDLER(CmdSetEx);
DKV_HANDLER(CmdPSetEx);
DKV_HANDLER(CmdGetEx);
DKV_HANDLER(CmdGetDel);
DKV_HANDLER(CmdGetSet);
DKV_HANDLER(CmdMGet);
DKV_HANDLER(CmdMSet);
DKV_HANDLER(CmdMSetNx);
DKV_HANDLER(CmdIncr);
DKV_HANDLER(CmdDecr);
DKV_HANDLER(CmdIncrBy);
DKV_HANDLER(CmdDecrBy);
DKV_HANDLER(CmdIncrByFloat);
DKV_HANDLER(CmdAppend);
DKV_HANDLER(CmdStrLen);
DKV_HANDLER(CmdGetRange);
DKV_HANDLER(CmdSetRange);
DKV_HANDLER(CmdLcs);
// hashes
DKV_HANDLER(CmdHSet);
DKV_HANDLER(CmdHSetNx);
DKV_HANDLER(CmdHMSet);
DKV_HANDLER(CmdHGet);
DKV_HANDLER(CmdHMGet);
DKV_HANDLER(CmdHGetAll);
DKV_HANDLER(CmdHKeys);
DKV_HANDLER(CmdHVals);
DKV_HANDLER(CmdHDel);
DKV_HANDLER(CmdHExists);
DKV_HANDLER(CmdHLen);
DKV_HANDLER(CmdHStrLen);
DKV_HANDLER(CmdHIncrBy);
DKV_HANDLER(CmdHIncrByFloat);
DKV_HANDLER(CmdHRandField);
DKV_HANDLER(CmdHScan);
// hash field expiration
DKV_HANDLER(CmdHExpire);
DKV_HANDLER(CmdHPExpire);
DKV_HANDLER(CmdHExpireAt);
DKV_HANDLER(CmdHPExpireAt);
DKV_HANDLER(CmdHTtl);
DKV_HANDLER(CmdHPTtl);
DKV_HANDLER(CmdHExpireTime);
DKV_HANDLER(CmdHPExpireTime);
DKV_HANDLER(CmdHPersist);
DKV_HANDLER(CmdHGetEx);
DKV_HANDLER(CmdHSetEx);
DKV_HANDLER(CmdHGetDel);
// hyperloglog
DKV_HANDLER(CmdPfAdd);
DKV_HANDLER(CmdPfCount);
DKV_HANDLER(CmdPfMerge);
DKV_HANDLER(CmdPfDebug);
DKV_HANDLER(CmdPfSelfTest);
// bitmaps
DKV_HANDLER(CmdSetBit);
DKV_HANDLER(CmdGetBit);
DKV_HANDLER(CmdBitCount);
DKV_HANDLER(CmdBitPos);
DKV_HANDLER(CmdBitOp);
DKV_HANDLER(CmdBitField);
DKV_HANDLER(CmdBitFieldRo);
// keys and expiry
DKV_HANDLER(CmdDel);
DKV_HANDLER(CmdUnlink);
DKV_HANDLER(CmdExists);
DKV_HANDLER(CmdType);
DKV_HANDLER(CmdKeys);
DKV_HANDLER(CmdScan);
DKV_HANDLER(CmdRename);
DKV_HANDLER(CmdRenameNx);
DKV_HANDLER(CmdCopy);
DKV_HANDLER(CmdMove);
DKV_HANDLER(CmdRandomKey);
DKV_HANDLER(CmdTouchKeys);
DKV_HANDLER(CmdObjectEncoding);
DKV_HANDLER(CmdObjectRefcount);
DKV_HANDLER(CmdObjectIdletime);
DKV_HANDLER(CmdObjectFreq);
DKV_HANDLER(CmdObjectHelp);
DKV_HANDLER(CmdExpire);
DKV_HANDLER(CmdPExpire);
DKV_HANDLER(CmdExpireAt);
DKV_HANDLER(CmdPExpireAt);
DKV_HANDLER(CmdTtl);
DKV_HANDLER(CmdPTtl);
DKV_HANDLER(CmdExpireTime);
DKV_HANDLER(CmdPExpireTime);
DKV_HANDLER(CmdPersist);
// transactions
DKV_HANDLER(CmdMulti);
DKV_HANDLER(CmdExec);
DKV_HANDLER(CmdDiscard);
DKV_HANDLER(CmdWatch);
DKV_HANDLER(CmdUnwatch);
// server
DKV_HANDLER(CmdDbSize);
DKV_HANDLER(CmdFlushDb);
DKV_HANDLER(CmdFlushAll);
DKV_HANDLER(CmdSwapDb);
DKV_HANDLER(CmdConfigGet);
DKV_HANDLER(CmdConfigSet);
DKV_HANDLER(CmdConfigResetStat);
DKV_HANDLER(CmdConfigRewrite);
DKV_HANDLER(CmdConfigHelp);
DKV_HANDLER(CmdCommand);
DKV_HANDLER(CmdCommandCount);
DKV_HANDLER(CmdCommandInfo);
DKV_HANDLER(CmdCommandDocs);
DKV_HANDLER(CmdCommandList);
DKV_HANDLER(CmdCommandGetKeys);
DKV_HANDLER(CmdCommandGetKeysAndFlags);
DKV_HANDLER(CmdCommandHelp);
DKV_HANDLER(CmdTime);
DKV_HANDLER(CmdLolwut);
DKV_HANDLER(CmdShutdown);
// DUMP / RESTORE
DKV_HANDLER(CmdDump);
DKV_HANDLER(CmdRestore);
// scripting
DKV_HANDLER(CmdEval);
DKV_HANDLER(CmdEvalSha);
DKV_HANDLER(CmdEvalRo);
DKV_HANDLER(CmdEvalShaRo);
DKV_HANDLER(CmdScriptLoad);
DKV_HANDLER(CmdScriptExists);
DKV_HANDLER(CmdScriptFlush);
DKV_HANDLER(CmdScriptKill);
DKV_HANDLER(CmdScriptHelp);
DKV_HANDLER(CmdFcall);
DKV_HANDLER(CmdFcallRo);
DKV_HANDLER(CmdFunctionLoad);
DKV_HANDLER(CmdFunctionDelete);
DKV_HANDLER(CmdFunctionFlush);
DKV_HANDLER(CmdFunctionList);
DKV_HANDLER(CmdFunctionDump);
DKV_HANDLER(CmdFunctionRestore);
DKV_HANDLER(CmdFunctionStats);
DKV_HANDLER(CmdFunctionKill);
DKV_HANDLER(CmdFunctionHelp);
DKV_HANDLER(CmdSave);
DKV_HANDLER(CmdBgSave);
DKV_HANDLER(CmdLastSave);
DKV_HANDLER(CmdAclCat);
DKV_HANDLER(CmdAclDeluser);
DKV_HANDLER(CmdAclDryrun);
DKV_HANDLER(CmdAclGenpass);
DKV_HANDLER(CmdAclGetuser);
DKV_HANDLER(CmdAclHelp);
DKV_HANDLER(CmdAclList);
DKV_HANDLER(CmdAclLoad);
DKV_HANDLER(CmdAclLog);
DKV_HANDLER(CmdAclSave);
DKV_HANDLER(CmdAclSetuser);
DKV_HANDLER(CmdAclUsers);
DKV_HANDLER(CmdAclWhoami);
DKV_HANDLER(CmdSlowlogGet);
DKV_HANDLER(CmdSlowlogLen);
DKV_HANDLER(CmdSlowlogReset);
DKV_HANDLER(CmdSlowlogHelp);
DKV_HANDLER(CmdKvKeys);
DKV_HANDLER(CmdKvCount);
DKV_HANDLER(CmdKvMGet);
DKV_HANDLER(CmdKvDel);
DKV_HANDLER(CmdKvScan);
DKV_HANDLER(CmdKvTree);
DKV_HANDLER(CmdKvSet);
DKV_HANDLER(CmdKvGet);
DKV_HANDLER(CmdKvMeta);
DKV_HANDLER(CmdKvSetMeta);
DKV_HANDLER(CmdKvDelMeta);
DKV_HANDLER(CmdKvCas);
DKV_HANDLER(CmdKvCleanup);
DKV_HANDLER(CmdKvExport);
DKV_HANDLER(CmdKvImport);
DKV_HANDLER(CmdKvNamespaces);
DKV_HANDLER(CmdDigest);
DKV_HANDLER(CmdDelEx);
DKV_HANDLER(CmdDelIfEq);
DKV_HANDLER(CmdMSetEx);
DKV_HANDLER(CmdMemoryUsage);
DKV_HANDLER(CmdMemoryStats);
DKV_HANDLER(CmdMemoryDoctor);
DKV_HANDLER(CmdMemoryHelp);
DKV_HANDLER(CmdMemoryMallocStats);
DKV_HANDLER(CmdMemoryPurge);
DKV_HANDLER(CmdLatencyLatest);
DKV_HANDLER(CmdLatencyHistory);
DKV_HANDLER(CmdLatencyReset);
DKV_HANDLER(CmdLatencyGraph);
DKV_HANDLER(CmdLatencyDoctor);
DKV_HANDLER(CmdLatencyHistogram);
DKV_HANDLER(CmdLatencyHelp);
DKV_HANDLER(CmdMonitor);
DKV_HANDLER(CmdCluster);
DKV_HANDLER(CmdInfo);
DKV_HANDLER(CmdDebug);
// sets (set_commands.cc)
DKV_HANDLER(CmdSAdd);
DKV_HANDLER(CmdSRem);
DKV_HANDLER(CmdSIsMember);
DKV_HANDLER(CmdSMIsMember);
DKV_HANDLER(CmdSMembers);
DKV_HANDLER(CmdSCard);
DKV_HANDLER(CmdSPop);
DKV_HANDLER(CmdSRandMember);
DKV_HANDLER(CmdSMove);
DKV_HANDLER(CmdSInter);
DKV_HANDLER(CmdSInterCard);
DKV_HANDLER(CmdSInterStore);
DKV_HANDLER(CmdSUnion);
DKV_HANDLER(CmdSUnionStore);
DKV_HANDLER(CmdSDiff);
DKV_HANDLER(CmdSDiffStore);
DKV_HANDLER(CmdSScan);
DKV_HANDLER(CmdSort);
DKV_HANDLER(CmdSortRo);
// Lists (list_commands.cc).
DKV_HANDLER(CmdLPush);
DKV_HANDLER(CmdRPush);
DKV_HANDLER(CmdLPushX);
DKV_HANDLER(CmdRPushX);
DKV_HANDLER(CmdLPop);
DKV_HANDLER(CmdRPop);
DKV_HANDLER(CmdLLen);
DKV_HANDLER(CmdLRange);
DKV_HANDLER(CmdLIndex);
DKV_HANDLER(CmdLSet);
DKV_HANDLER(CmdLInsert);
DKV_HANDLER(CmdLRem);
DKV_HANDLER(CmdLTrim);
DKV_HANDLER(CmdLPos);
DKV_HANDLER(CmdLMove);
DKV_HANDLER(CmdRPopLPush);
DKV_HANDLER(CmdLMPop);
// geo (geo_commands.cc)
DKV_HANDLER(CmdGeoAdd);
DKV_HANDLER(CmdGeoDist);
DKV_HANDLER(CmdGeoHash);
DKV_HANDLER(CmdGeoPos);
DKV_HANDLER(CmdGeoRadius);
DKV_HANDLER(CmdGeoRadiusRo);
DKV_HANDLER(CmdGeoRadiusByMember);
DKV_HANDLER(CmdGeoRadiusByMemberRo);
DKV_HANDLER(CmdGeoSearch);
DKV_HANDLER(CmdGeoSearchStore);
// streams without consumer groups (stream_commands.cc)
DKV_HANDLER(CmdXAdd);
DKV_HANDLER(CmdXLen);
DKV_HANDLER(CmdXRange);
DKV_HANDLER(CmdXRevRange);
DKV_HANDLER(CmdXDel);
DKV_HANDLER(CmdXTrim);
DKV_HANDLER(CmdXSetId);
DKV_HANDLER(CmdXRead);
// Blocking pops (blocking_commands.cc).
DKV_HANDLER(CmdBLPop);
DKV_HANDLER(CmdBRPop);
DKV_HANDLER(CmdBRPopLPush);
DKV_HANDLER(CmdBLMove);
DKV_HANDLER(CmdBLMPop);
DKV_HANDLER(CmdBZPopMin);
DKV_HANDLER(CmdBZPopMax);
DKV_HANDLER(CmdBZMPop);
// sorted sets (zset_commands.cc, zset_multi_commands.cc)
DKV_HANDLER(CmdZAdd);
DKV_HANDLER(CmdZIncrBy);
DKV_HANDLER(CmdZRem);
DKV_HANDLER(CmdZCard);
DKV_HANDLER(CmdZScore);
DKV_HANDLER(CmdZMScore);
DKV_HANDLER(CmdZRank);
DKV_HANDLER(CmdZRevRank);
DKV_HANDLER(CmdZCount);
DKV_HANDLER(CmdZLexCount);
DKV_HANDLER(CmdZRange);
DKV_HANDLER(CmdZRangeStore);
DKV_HANDLER(CmdZRevRange);
DKV_HANDLER(CmdZRangeByScore);
DKV_HANDLER(CmdZRevRangeByScore);
DKV_HANDLER(CmdZRangeByLex);
DKV_HANDLER(CmdZRevRangeByLex);
DKV_HANDLER(CmdZRemRangeByRank);
DKV_HANDLER(CmdZRemRangeByScore);
DKV_HANDLER(CmdZRemRangeByLex);
DKV_HANDLER(CmdZPopMin);
DKV_HANDLER(CmdZPopMax);
DKV_HANDLER(CmdZUnion);
DKV_HANDLER(CmdZInter);
DKV_HANDLER(CmdZDiff);
DKV_HANDLER(CmdZUnionStore);
DKV_HANDLER(CmdZInterStore);
DKV_HANDLER(CmdZDiffStore);
DKV_HANDLER(CmdZInterCard);
DKV_HANDLER(CmdZMPop);
DKV_HANDLER(CmdZRandMember);
DKV_HANDLER(CmdZScan);
// stream consumer groups (stream_group_commands.cc) and XINFO (stream_info_commands.cc)
DKV_HANDLER(CmdXGroupCreate);
DKV_HANDLER(CmdXGroupSetId);
DKV_HANDLER(CmdXGroupDestroy);
DKV_HANDLER(CmdXGroupCreateConsumer);
DKV_HANDLER(CmdXGroupDelConsumer);
DKV_HANDLER(CmdXGroupHelp);
DKV_HANDLER(CmdXReadGroup);
DKV_HANDLER(CmdXAck);
DKV_HANDLER(CmdXPending);
DKV_HANDLER(CmdXClaim);
DKV_HANDLER(CmdXAutoClaim);
DKV_HANDLER(CmdXInfoStream);
DKV_HANDLER(CmdXInfoGroups);
DKV_HANDLER(CmdXInfoConsumers);
DKV_HANDLER(CmdXInfoHelp);
#undef DKV_HANDLER
// SORT's key finder (Redis' sortGetKeys): the sorted key and the last STORE destination.
void SortKeys(Args argv, std::vector<KeyRef>* out);

}  // namespace dkv::server
