from envbuild._proto.apicaps import caps_pb2 as _caps_pb2
from envbuild._proto.pb import ops_pb2 as _ops_pb2
from envbuild._proto.types import worker_pb2 as _worker_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PingRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PongResponse(_message.Message):
    __slots__ = ("FrontendAPICaps", "LLBCaps", "Workers")
    FRONTENDAPICAPS_FIELD_NUMBER: _ClassVar[int]
    LLBCAPS_FIELD_NUMBER: _ClassVar[int]
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    FrontendAPICaps: _containers.RepeatedCompositeFieldContainer[_caps_pb2.APICap]
    LLBCaps: _containers.RepeatedCompositeFieldContainer[_caps_pb2.APICap]
    Workers: _containers.RepeatedCompositeFieldContainer[_worker_pb2.WorkerRecord]
    def __init__(self, FrontendAPICaps: _Optional[_Iterable[_Union[_caps_pb2.APICap, _Mapping]]] = ..., LLBCaps: _Optional[_Iterable[_Union[_caps_pb2.APICap, _Mapping]]] = ..., Workers: _Optional[_Iterable[_Union[_worker_pb2.WorkerRecord, _Mapping]]] = ...) -> None: ...

class Result(_message.Message):
    __slots__ = ("ref", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bytes
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...
    REF_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    ref: Ref
    metadata: _containers.ScalarMap[str, bytes]
    def __init__(self, ref: _Optional[_Union[Ref, _Mapping]] = ..., metadata: _Optional[_Mapping[str, bytes]] = ...) -> None: ...

class Ref(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    DEF_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ..., **kwargs) -> None: ...

class ReturnRequest(_message.Message):
    __slots__ = ("result", "error")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    result: Result
    error: _status_pb2.Status
    def __init__(self, result: _Optional[_Union[Result, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class ReturnResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResolveImageConfigRequest(_message.Message):
    __slots__ = ("Ref", "Platform", "ResolveMode", "LogName", "ResolverType", "SessionID", "StoreID")
    REF_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    RESOLVEMODE_FIELD_NUMBER: _ClassVar[int]
    LOGNAME_FIELD_NUMBER: _ClassVar[int]
    RESOLVERTYPE_FIELD_NUMBER: _ClassVar[int]
    SESSIONID_FIELD_NUMBER: _ClassVar[int]
    STOREID_FIELD_NUMBER: _ClassVar[int]
    Ref: str
    Platform: _ops_pb2.Platform
    ResolveMode: str
    LogName: str
    ResolverType: int
    SessionID: str
    StoreID: str
    def __init__(self, Ref: _Optional[str] = ..., Platform: _Optional[_Union[_ops_pb2.Platform, _Mapping]] = ..., ResolveMode: _Optional[str] = ..., LogName: _Optional[str] = ..., ResolverType: _Optional[int] = ..., SessionID: _Optional[str] = ..., StoreID: _Optional[str] = ...) -> None: ...

class ResolveImageConfigResponse(_message.Message):
    __slots__ = ("Digest", "Config", "Ref")
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    Digest: str
    Config: bytes
    Ref: str
    def __init__(self, Digest: _Optional[str] = ..., Config: _Optional[bytes] = ..., Ref: _Optional[str] = ...) -> None: ...

class SolveRequest(_message.Message):
    __slots__ = ("Definition", "Frontend", "FrontendOpt", "allowResultReturn", "allowResultArrayRef", "Final", "ExporterAttr", "CacheImports", "Evaluate")
    class FrontendOptEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    FRONTEND_FIELD_NUMBER: _ClassVar[int]
    FRONTENDOPT_FIELD_NUMBER: _ClassVar[int]
    ALLOWRESULTRETURN_FIELD_NUMBER: _ClassVar[int]
    ALLOWRESULTARRAYREF_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    EXPORTERATTR_FIELD_NUMBER: _ClassVar[int]
    CACHEIMPORTS_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_FIELD_NUMBER: _ClassVar[int]
    Definition: _ops_pb2.Definition
    Frontend: str
    FrontendOpt: _containers.ScalarMap[str, str]
    allowResultReturn: bool
    allowResultArrayRef: bool
    Final: bool
    ExporterAttr: bytes
    CacheImports: _containers.RepeatedCompositeFieldContainer[CacheOptionsEntry]
    Evaluate: bool
    def __init__(self, Definition: _Optional[_Union[_ops_pb2.Definition, _Mapping]] = ..., Frontend: _Optional[str] = ..., FrontendOpt: _Optional[_Mapping[str, str]] = ..., allowResultReturn: _Optional[bool] = ..., allowResultArrayRef: _Optional[bool] = ..., Final: _Optional[bool] = ..., ExporterAttr: _Optional[bytes] = ..., CacheImports: _Optional[_Iterable[_Union[CacheOptionsEntry, _Mapping]]] = ..., Evaluate: _Optional[bool] = ...) -> None: ...

class CacheOptionsEntry(_message.Message):
    __slots__ = ("Type", "Attrs")
    class AttrsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ATTRS_FIELD_NUMBER: _ClassVar[int]
    Type: str
    Attrs: _containers.ScalarMap[str, str]
    def __init__(self, Type: _Optional[str] = ..., Attrs: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SolveResponse(_message.Message):
    __slots__ = ("ref", "result")
    REF_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ref: str
    result: Result
    def __init__(self, ref: _Optional[str] = ..., result: _Optional[_Union[Result, _Mapping]] = ...) -> None: ...
